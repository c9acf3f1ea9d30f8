import type { DefaultTreeAdapterMap } from 'parse5'

type Node = DefaultTreeAdapterMap['node']

/** Every element name and every attribute (as `element[name]`) in a parse5 tree, in document order. */
export function elementsAndAttributes(root: Node): { elements: string[]; attributes: string[] } {
  const elements: string[] = []
  const attributes: string[] = []
  const visit = (node: Node): void => {
    if ('tagName' in node) {
      elements.push(node.tagName)
      for (const attr of node.attrs) attributes.push(`${node.tagName}[${attr.name}]`)
    }
    if ('content' in node && node.content) visit(node.content as Node)
    if ('childNodes' in node) for (const child of node.childNodes) visit(child as Node)
  }
  visit(root)
  return { elements, attributes }
}
