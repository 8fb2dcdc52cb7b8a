/**
 * Chinese provinces, regions and major cities other than Beijing. A question about one of them that
 * no policy here mentions is outside this Beijing collection (海南自贸港, 上海临港…).
 */
export const REGIONS = [
  '天津', '河北', '山西', '内蒙古', '辽宁', '吉林', '黑龙江', '上海', '江苏', '浙江', '安徽', '福建', '江西', '山东',
  '河南', '湖北', '湖南', '广东', '广西', '海南', '重庆', '四川', '贵州', '云南', '西藏', '陕西', '甘肃', '青海',
  '宁夏', '新疆', '香港', '澳门', '台湾', '深圳', '广州', '杭州', '南京', '苏州', '武汉', '成都', '西安', '厦门',
  '青岛', '大连', '宁波', '临港', '前海', '横琴', '雄安', '浦东', '三亚', '海口', '洋浦',
];
