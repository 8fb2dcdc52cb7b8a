/**
 * The widget's CSS, scoped by its shadow root. `all: initial !important` on the host wins over the
 * host page's !important rules (inside a shadow tree, important declarations beat the outer
 * page's), so a page hiding or restyling every element still leaves the widget visible and intact.
 */
export const CSS = `
:host{all:initial!important;display:block!important;visibility:visible!important;opacity:1!important;contain:none!important}
:host([data-mode=floating]){position:static!important;width:0!important;height:0!important;overflow:visible!important}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
.root{--c:#1a56a8;--c-dark:#123f7c;--c-soft:#eaf1fb;--ink:#1f2933;--muted:#5f6b7a;--line:#d8dee6;--warn:#9a3412;--warn-bg:#fff4e5;--warn-line:#f0a35e;
  font:15px/1.65 system-ui,-apple-system,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC",sans-serif;
  color:var(--ink);text-align:left;letter-spacing:normal;-webkit-font-smoothing:antialiased}
button,textarea{font:inherit;color:inherit}
button{cursor:pointer}
:focus-visible{outline:3px solid #f5b400;outline-offset:2px}
svg{width:20px;height:20px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round;flex:none}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}

.launcher{position:fixed;right:24px;bottom:24px;z-index:2147483000;display:flex;align-items:center;gap:8px;padding:12px 20px;border:0;border-radius:999px;max-width:calc(100vw - 32px);white-space:nowrap;
  background:var(--c);color:#fff;font-size:16px;font-weight:600;box-shadow:0 6px 20px rgba(18,63,124,.35)}
.launcher:hover{background:var(--c-dark)}

.panel{display:flex;flex-direction:column;background:#fff;overflow:hidden;position:relative}
.floating .panel{position:fixed;right:24px;bottom:92px;z-index:2147483001;width:420px;max-width:calc(100vw - 48px);height:min(680px,calc(100vh - 116px));
  border-radius:12px;box-shadow:0 12px 40px rgba(15,30,60,.28);border:1px solid var(--line)}
.inline .panel{width:100%;height:var(--pa-height,620px);max-height:90vh;border:1px solid var(--line);border-radius:8px}
/* A phone: the panel is the whole screen, never wider than it even on a host page that overflows. */
@media (max-width:520px){
  .floating .panel{inset:0 auto auto 0;width:100vw;max-width:100vw;height:100vh;height:100dvh;border-radius:0;border:0}
  .floating.open .launcher{display:none}
  /* placed from the top left in screen units: a host page wider than the screen widens the box
     that right/bottom measure from, and would push the button off screen */
  .launcher{right:auto;bottom:auto;left:calc(100vw - 16px);top:calc(100vh - 16px);top:calc(100dvh - 16px);transform:translate(-100%,-100%)}
}

.head{display:flex;align-items:center;gap:8px;padding:12px 12px 12px 16px;background:linear-gradient(90deg,var(--c-dark),var(--c));color:#fff;flex:none}
.head .titles{flex:1;min-width:0}
.head h2{margin:0;font-size:17px;font-weight:600;line-height:1.3}
.head p{margin:0;font-size:12px;opacity:.85}
.head button{flex:none;display:flex;align-items:center;gap:4px;border:1px solid rgba(255,255,255,.45);background:transparent;color:#fff;border-radius:6px;padding:5px 10px;font-size:13px;white-space:nowrap}
.head button:hover{background:rgba(255,255,255,.15)}
.head .close{padding:5px}

.log{position:relative;flex:1;overflow-y:auto;padding:16px;display:flex;flex-direction:column;gap:14px;background:#f6f8fb;overscroll-behavior:contain}
.welcome{color:var(--muted);font-size:14px}
.welcome p{margin:0 0 10px}
.starters{display:flex;flex-direction:column;flex-wrap:wrap;gap:8px;margin:0;padding:0;list-style:none}
.starters li{min-width:0;max-width:100%}
.starters button{width:100%;white-space:normal;overflow-wrap:anywhere;text-align:left;border:1px solid var(--line);background:#fff;border-radius:8px;padding:9px 12px;color:var(--c-dark);font-size:14px}
.starters button:hover{border-color:var(--c);background:var(--c-soft)}

.msg{max-width:100%}
.msg.user{align-self:flex-end;max-width:85%;background:var(--c);color:#fff;padding:8px 12px;border-radius:12px 12px 2px 12px;white-space:pre-wrap;word-break:break-word}
.msg.assistant{align-self:stretch;background:#fff;border:1px solid var(--line);border-radius:2px 12px 12px 12px;padding:12px 14px}
.body{white-space:pre-wrap;word-break:break-word}
.streaming .body::after{content:"";display:inline-block;width:7px;height:1em;margin-left:2px;vertical-align:-2px;background:var(--c);animation:blink 1s steps(2) infinite}
@keyframes blink{50%{opacity:0}}
.status{display:flex;align-items:center;gap:8px;color:var(--muted);font-size:14px}
.status::before{content:"";width:14px;height:14px;border-radius:50%;border:2px solid var(--line);border-top-color:var(--c);animation:spin .8s linear infinite}
@keyframes spin{to{transform:rotate(360deg)}}
.incomplete{color:var(--warn);font-size:13px;margin:4px 0 0}

.marker{display:inline;border:0;background:var(--c-soft);color:var(--c);font-size:12px;font-weight:600;padding:0 4px;margin:0 1px;border-radius:4px;vertical-align:super;line-height:1}
.marker:hover{background:var(--c);color:#fff}

.section{margin-top:12px;padding-top:10px;border-top:1px dashed var(--line)}
.section h3{margin:0 0 6px;font-size:13px;color:var(--muted);font-weight:600}
.chips{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:6px}
.chip{display:flex;gap:6px;width:100%;text-align:left;border:1px solid #c9d8ee;background:var(--c-soft);color:var(--c-dark);border-radius:8px;padding:6px 10px;font-size:13px;line-height:1.5}
.chip:hover{border-color:var(--c);background:#dde9f8}
.chip b{flex:none;color:var(--c)}
.chip span{min-width:0;overflow-wrap:anywhere}
.chip.related{background:#f3f4f6;border-color:var(--line);color:#374151}

.notices{list-style:none;margin:10px 0 0;padding:0;display:flex;flex-direction:column;gap:6px;font-size:13px}
.notice{display:flex;gap:8px;align-items:flex-start;padding:6px 10px;border-radius:6px;background:#f1f5f9;color:#334155;border-left:3px solid #94a3b8}
.notice strong{flex:none;font-weight:600}
.notice.expired{background:var(--warn-bg);color:var(--warn);border-left-color:var(--warn-line)}
.abstain{border:1px dashed #9ca3af;background:#fafafa;border-radius:8px;padding:10px 12px}
.abstain h3{margin:0 0 4px;font-size:14px;color:#4b5563;display:flex;align-items:center;gap:6px}
.abstain h3::before{content:"?";display:inline-grid;place-items:center;width:18px;height:18px;border-radius:50%;background:#9ca3af;color:#fff;font-size:12px}

.error{border:1px solid #f1b0b0;background:#fdf0f0;color:#9b1c1c;border-radius:8px;padding:10px 12px;display:flex;gap:10px;align-items:center;justify-content:space-between;font-size:14px}
.error button,.clause .retry{flex:none;border:0;background:#b91c1c;color:#fff;border-radius:6px;padding:6px 14px;font-weight:600}
.error button:hover{background:#991b1b}

.form{display:flex;gap:8px;padding:10px 12px;border-top:1px solid var(--line);background:#fff;flex:none;align-items:flex-end}
.form textarea{flex:1;min-width:0;resize:none;min-height:42px;max-height:120px;border:1px solid var(--line);border-radius:8px;padding:9px 10px;line-height:1.45;font-size:15px;background:#fff}
.form textarea:focus{border-color:var(--c);outline:none;box-shadow:0 0 0 3px rgba(26,86,168,.18)}
.form button{flex:none;white-space:nowrap;display:flex;align-items:center;gap:4px;height:42px;border:0;border-radius:8px;background:var(--c);color:#fff;padding:0 14px;font-weight:600}
.form button:disabled{background:#9fb4d4;cursor:not-allowed}
.foot{margin:0;padding:0 12px 8px;font-size:11px;color:var(--muted);background:#fff;flex:none}

.main{flex:1;min-height:0;display:flex;flex-direction:column;position:relative}
.clause{position:absolute;inset:0;background:#fff;overflow-y:auto;padding:14px 16px 20px;z-index:2}
.clause .back{display:inline-flex;align-items:center;gap:2px;border:0;background:none;color:var(--c);padding:4px 0;font-size:14px}
.clause h3{margin:8px 0 4px;font-size:16px;line-height:1.45;outline:none}
.clause .doc{margin:0 0 8px;color:var(--muted);font-size:13px}
.clause dl{display:grid;grid-template-columns:auto 1fr;gap:2px 12px;margin:0 0 12px;font-size:13px}
.clause dt{color:var(--muted)}
.clause dd{margin:0}
.clause blockquote{margin:0 0 12px;padding:12px 14px;background:#fbfaf5;border-left:4px solid #c8a24a;white-space:pre-wrap;word-break:break-word;font-size:15px;line-height:1.8}
.clause mark{background:#fde68a;color:inherit;padding:0 1px}
.clause .hint{font-size:12px;color:var(--muted);margin:0 0 12px}
.clause a{display:inline-flex;align-items:center;gap:4px;color:var(--c);font-size:14px}
.clause svg{width:16px;height:16px}
`;
