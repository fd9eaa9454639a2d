import { h } from './dom';

/**
 * Dismissable notices, kept apart from the message views. Errors stay until
 * dismissed (they should not vanish before being read), information goes after a few seconds,
 * but only the newest few are kept so a failure loop cannot flood the page.
 */
export class Toasts {
  constructor(
    private readonly region: HTMLElement,
    private readonly dismissLabel: () => string,
    private readonly maxVisible = 4,
    private readonly infoMs = 5000,
  ) {}

  show(text: string, kind: 'error' | 'info' = 'error'): HTMLElement {
    const dismiss = h('button', { type: 'button', class: 'toast-dismiss', 'data-testid': 'toast-dismiss', 'data-i18n-aria-label': 'dismiss', 'aria-label': this.dismissLabel() }, '×');
    const toast = h(
      'div',
      { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-testid': 'toast' },
      h('p', { class: 'toast-text' }, text),
      dismiss,
    );
    dismiss.addEventListener('click', () => toast.remove());
    this.region.append(toast);
    // Information goes away by itself; errors stay until read and dismissed.
    if (kind === 'info') setTimeout(() => toast.remove(), this.infoMs);
    while (this.region.childElementCount > this.maxVisible) this.region.firstElementChild?.remove();
    return toast;
  }

  clear(): void {
    this.region.replaceChildren();
  }
}
