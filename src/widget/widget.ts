/**
 * Embeds the policy assistant with one script tag:
 *   <script src="https://host/widget.js" data-api="https://host" defer></script>
 * Options (data- attributes on the script tag): api (defaults to the script's origin), lang (zh|en),
 * mode (floating|inline), target (selector of the inline container), timeout (ms of silence before
 * a stalled answer is abandoned).
 */
import type { Lang } from './i18n.ts';
import { SessionStore } from './store.ts';
import { AssistantWidget, type WidgetConfig } from './ui.ts';

const DEFAULT_STALL_MS = 45_000;

// currentScript is only set while this script runs, so it is read before anything waits.
const script = document.currentScript as HTMLScriptElement | null;

function config(el: HTMLScriptElement | null): WidgetConfig & { target?: string } {
  const data = el?.dataset ?? {};
  const origin = el?.src ? new URL(el.src, location.href).origin : location.origin;
  const timeout = Number(data.timeout);
  return {
    api: (data.api || origin).replace(/\/+$/, ''),
    lang: (data.lang === 'en' ? 'en' : 'zh') as Lang,
    mode: data.mode === 'inline' ? 'inline' : 'floating',
    target: data.target,
    stallMs: timeout > 0 ? timeout : DEFAULT_STALL_MS,
  };
}

function mount(): void {
  const cfg = config(script);
  const container = cfg.mode === 'inline' && cfg.target ? document.querySelector<HTMLElement>(cfg.target) : null;
  if (cfg.mode === 'inline' && !container) {
    console.warn(`policy-assistant: no element matches data-target "${cfg.target ?? ''}"; showing the floating button instead`);
    cfg.mode = 'floating';
  }
  const host = document.createElement('policy-assistant');
  (container ?? document.body ?? document.documentElement).append(host);
  new AssistantWidget(host, cfg, new SessionStore(`policy-assistant:${cfg.api}:${cfg.mode}`));
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', mount, { once: true });
else mount();
