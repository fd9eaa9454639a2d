/** Small DOM helpers. Content is only ever set through textContent/attributes, never innerHTML. */

export function byTestId<T extends HTMLElement>(root: ParentNode, id: string, type: new () => T): T {
  const el = root.querySelector(`[data-testid="${id}"]`);
  if (!(el instanceof type)) {
    throw new Error(`Missing element [data-testid="${id}"] (${type.name})`);
  }
  return el;
}

type Attrs = Readonly<Record<string, string>>;

/** Creates an element with attributes and text/element children (text becomes Text nodes). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  for (const child of children) el.append(child); // append(string) creates a Text node
  return el;
}
