import type { MessageKey, Translate } from '../i18n';

/**
 * Static texts live in index.html with a `data-i18n` key (textContent) and
 * `data-i18n-<attr>` keys (attributes), so switching language is one pass over
 * the DOM instead of re-rendering the page.
 */
const ATTRS = ['placeholder', 'aria-label', 'title'] as const;

export function translateDom(root: ParentNode, t: Translate): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n]')) {
    el.textContent = t(el.dataset['i18n'] as MessageKey);
  }
  for (const attr of ATTRS) {
    for (const el of root.querySelectorAll<HTMLElement>(`[data-i18n-${attr}]`)) {
      el.setAttribute(attr, t(el.getAttribute(`data-i18n-${attr}`) as MessageKey));
    }
  }
}
