// @ts-check
/** @typedef {Node | string | number | boolean | null | undefined} Leaf */
/** @typedef {Leaf | readonly Leaf[] | readonly (readonly Leaf[])[]} Child */

/**
 * A tiny element builder: h('div', { class: 'x', onclick }, 'text', child). Text is always text.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, unknown> | null} [attrs]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function')
      node.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (value === true) node.setAttribute(key, '');
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/**
 * The one element the selector names, of the expected kind; a page without it is a bug, said so.
 * @template {Element} [T=HTMLElement]
 * @param {string} selector
 * @param {{ new (): T, prototype: T }} [type] HTMLElement unless given (HTMLInputElement, …)
 * @param {ParentNode} [root]
 * @returns {T}
 */
export function $(selector, type, root = document) {
  const node = root.querySelector(selector);
  const expected = type ?? HTMLElement;
  if (!(node instanceof expected)) throw new Error(`${selector}: no ${expected.name} on the page`);
  return /** @type {T} */ (node);
}
