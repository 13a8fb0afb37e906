// @ts-check
/**
 * The flow inspector: the statechart of GET /v1/machine laid out by elkjs and drawn as SVG.
 * Compound and parallel states are nested boxes (parallel regions dashed), transitions with a
 * target are arrows (one arrow per source/target pair, one label line per transition: event,
 * guard with its params, delay, prompt), transitions without a target are listed inside their
 * state. Every state is a <g class="state" data-path="…">; highlight() marks the active ones.
 */

/** @import { ELK, ElkEdgeSection, ElkExtendedEdge, ElkLabel, ElkNode } from 'elkjs/lib/elk-api' */
/** @import { HistoryEntry, MachineDescription, MachineNode, MachineTransition, StatePath } from './types.js' */

/** Transitions from one state to another, drawn as one arrow. */
/** @typedef {{ source: string, target: string, transitions: MachineTransition[] }} EdgeGroup */
/** An arrow's label: one line per transition (a long one takes two); owners maps line -> transition. */
/** @typedef {ElkLabel & { text: string, owners: number[] }} FlowLabel */
/** @typedef {ElkExtendedEdge & { labels?: FlowLabel[], group?: EdgeGroup, initial?: boolean }} FlowEdge */
/** @typedef {ElkNode & { children?: FlowNode[], edges?: FlowEdge[] }} FlowNode */
/**
 * @typedef {object} FlowModel
 * @property {FlowNode} graph
 * @property {Map<string, MachineNode>} byPath
 * @property {Map<string, MachineTransition[]>} internal transitions listed inside their state
 * @property {Map<string, EdgeGroup>} groups arrows by "source→target"
 */
/** elkjs's bundle defines a global constructor. */
/** @typedef {typeof globalThis & { ELK?: new () => ELK }} WithElk */

const SVG_NS = 'http://www.w3.org/2000/svg';
const ROOT = '(root)';

const FONT = '-apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
const MONO = 'ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace';
const TITLE_FONT = `600 13px ${FONT}`;
const LINE_FONT = `11px ${MONO}`;
const TITLE_H = 18;
const LINE_H = 15;
const PAD = 10;

/** @type {Promise<new () => ELK> | null} */
let elkLoading = null;

/** elkjs's browser bundle (1.5 MB) is loaded on first use only; the console never needs it. */
function loadElk() {
  const global = /** @type {WithElk} */ (globalThis);
  if (global.ELK) return Promise.resolve(global.ELK);
  elkLoading ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = '/ui/vendor/elk.bundled.js';
    script.onload = () => (global.ELK ? resolve(global.ELK) : reject(new Error('elkjs defined no ELK')));
    script.onerror = () => {
      elkLoading = null;
      reject(new Error('elkjs could not be loaded'));
    };
    document.head.append(script);
  });
  return elkLoading;
}

/** @type {CanvasRenderingContext2D | null} */
let measureCtx = null;
/**
 * @param {string} text
 * @param {string} font
 */
function textWidth(text, font) {
  measureCtx ??= document.createElement('canvas').getContext('2d');
  if (!measureCtx) return text.length * 7;
  measureCtx.font = font;
  return Math.ceil(measureCtx.measureText(text).width);
}

/** @param {unknown} params */
function formatParams(params) {
  if (params === null || params === undefined) return '';
  if (typeof params !== 'object') return String(params);
  return Object.entries(params)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`)
    .join(', ');
}

/** @param {number} ms */
function formatSeconds(ms) {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

/**
 * One label line for a transition, in statechart notation: "event [guard(params)] / prompt";
 * a transition listed inside its state that still goes somewhere names where: "⇒ target".
 */
/**
 * @param {MachineTransition} t
 * @param {boolean} [inner] listed inside its state, not on an arrow
 */
export function transitionLine(t, inner = false) {
  const event = t.delay ? `after ${t.delay.name} ${formatSeconds(t.delay.ms)}` : t.event;
  const guard = t.guard ? ` [${t.guard.type}${t.guard.params ? `(${formatParams(t.guard.params)})` : ''}]` : '';
  const target = inner && t.targets.length > 0 ? ` ⇒ ${t.targets.map((p) => p.split('.').at(-1)).join(', ')}` : '';
  const prompt = t.prompts.length > 0 ? ` / ${t.prompts.join(', ')}` : '';
  return `${event}${guard}${target}${prompt}`;
}

const WRAP_AT = 30;

/** The label line, broken before "[guard]" and "/ prompt" when it is long, so labels stay narrow. */
/**
 * @param {MachineTransition} t
 * @param {boolean} [inner]
 */
export function transitionLines(t, inner = false) {
  const line = transitionLine(t, inner);
  if (line.length <= WRAP_AT) return [line];
  const pieces = [];
  let rest = line;
  for (const marker of [' / ', ' [', ' ⇒ ']) {
    const cut = rest.indexOf(marker);
    if (cut > 0) {
      pieces.push(rest.slice(0, cut));
      rest = rest.slice(cut + 1);
    }
  }
  pieces.push(rest);
  // Put short neighbours back together: only what is too long stays broken.
  /** @type {string[]} */
  const lines = [];
  for (const piece of pieces) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + piece.length + 1 <= WRAP_AT + 4)
      lines[lines.length - 1] = `${last} ${piece}`;
    else lines.push(piece);
  }
  return lines.map((l, k) => (k === 0 ? l : `    ${l}`));
}

/** @param {string} path */
const elkId = (path) => `s:${path}`;

/** The ELK graph of a machine description, plus the lookups the renderer needs. */
/**
 * @param {MachineDescription} machine
 * @returns {FlowModel}
 */
export function buildGraph(machine) {
  const byPath = new Map(machine.nodes.map((n) => [n.path, n]));
  /** @type {Map<string, MachineNode[]>} */
  const childrenOf = new Map();
  for (const n of machine.nodes) {
    if (n.parent === null) continue;
    const siblings = childrenOf.get(n.parent) ?? [];
    childrenOf.set(n.parent, siblings);
    siblings.push(n);
  }
  /** @type {Map<string, MachineTransition[]>} */
  const internal = new Map();
  /** @type {Map<string, EdgeGroup>} */
  const groups = new Map();
  for (const t of machine.transitions) {
    // Listed inside the state: no target, or a target nested in the state itself (ELK draws no
    // edge from a box into its own contents; these are "from anywhere inside" rules anyway).
    const inner = t.targets.every((target) => target !== t.source && isWithin(target, t.source));
    if (inner) {
      const listed = internal.get(t.source) ?? [];
      internal.set(t.source, listed);
      listed.push(t);
      continue;
    }
    for (const target of t.targets) {
      const key = `${t.source}→${target}`;
      const group = groups.get(key) ?? { source: t.source, target, transitions: [] };
      groups.set(key, group);
      group.transitions.push(t);
    }
  }

  /** @param {MachineNode} node */
  const headerLines = (node) => (internal.get(node.path) ?? []).flatMap((t) => transitionLines(t, true));

  /**
   * @param {MachineNode} node
   * @returns {FlowNode}
   */
  const toElk = (node) => {
    const lines = headerLines(node);
    const title = node.path === ROOT ? machine.id : node.key;
    const kids = childrenOf.get(node.path) ?? [];
    const headerW = Math.max(textWidth(title, TITLE_FONT) + 40, ...lines.map((l) => textWidth(l, LINE_FONT))) + 2 * PAD;
    const headerH = TITLE_H + lines.length * LINE_H + PAD;
    if (node.type === 'history') {
      return { id: elkId(node.path), width: 30, height: 30 };
    }
    if (kids.length === 0) {
      return {
        id: elkId(node.path),
        width: Math.max(headerW, 90),
        height: Math.max(headerH + PAD / 2, 40),
      };
    }
    const children = kids.map(toElk);
    // The root's initial state needs no marker: a call starts in it, and the arrow would land
    // on the same border as the history returns.
    if (node.type === 'compound' && node.initial && node.path !== ROOT) {
      children.unshift({ id: `init:${node.path}`, width: 12, height: 12 });
    }
    return {
      id: elkId(node.path),
      layoutOptions: {
        'elk.padding': `[top=${headerH + 6},left=${PAD + 4},bottom=${PAD + 4},right=${PAD + 4}]`,
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': `(${headerW}, ${headerH + 40})`,
        // Parallel regions side by side, everything else flows left to right.
        'elk.direction': node.type === 'parallel' ? 'DOWN' : 'RIGHT',
      },
      children,
    };
  };

  const rootNode = byPath.get(ROOT);
  if (!rootNode) throw new Error('the machine description has no root node');
  const graph = toElk(rootNode);
  /** @type {FlowEdge[]} */
  const edges = [];
  let i = 0;
  for (const group of groups.values()) {
    const parts = group.transitions.map((t) => transitionLines(t));
    const lines = parts.flat();
    edges.push({
      id: `e${i++}`,
      sources: [elkId(group.source)],
      targets: [elkId(group.target)],
      labels: [
        {
          text: lines.join('\n'),
          // Which transition each line belongs to (a long one takes two lines).
          owners: parts.flatMap((p, k) => p.map(() => k)),
          width: Math.max(...lines.map((l) => textWidth(l, LINE_FONT))) + 8,
          height: lines.length * LINE_H + 4,
        },
      ],
      group,
    });
  }
  for (const n of machine.nodes) {
    if (n.type === 'compound' && n.initial && n.path !== ROOT && (childrenOf.get(n.path) ?? []).length > 0) {
      const target = n.path === ROOT ? n.initial : `${n.path}.${n.initial}`;
      edges.push({ id: `e${i++}`, sources: [`init:${n.path}`], targets: [elkId(target)], initial: true });
    }
  }
  graph.edges = edges;
  graph.layoutOptions = {
    ...graph.layoutOptions,
    'elk.direction': 'DOWN',
    'elk.algorithm': 'layered',
    'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
    'elk.edgeRouting': 'ORTHOGONAL',
    'elk.edgeLabels.placement': 'CENTER',
    'elk.layered.spacing.nodeNodeBetweenLayers': '36',
    'elk.layered.spacing.edgeNodeBetweenLayers': '18',
    'elk.spacing.nodeNode': '22',
    'elk.spacing.edgeNode': '14',
    'elk.spacing.edgeEdge': '10',
    'elk.spacing.edgeLabel': '3',
    'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
    'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
    'elk.layered.crossingMinimization.forceNodeModelOrder': 'true',
    'elk.json.edgeCoords': 'ROOT',
    'elk.json.shapeCoords': 'ROOT',
  };
  return { graph, byPath, internal, groups };
}

/**
 * @param {string} name
 * @param {Record<string, string | number>} [attrs]
 * @param {Element | null} [parent]
 * @returns {SVGElement}
 */
function el(name, attrs = {}, parent = null) {
  const node = /** @type {SVGElement} */ (document.createElementNS(SVG_NS, name));
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (parent) parent.append(node);
  return node;
}

/**
 * @param {Element} parent
 * @param {number} x
 * @param {number} y
 * @param {string} content
 * @param {string} cls
 */
function text(parent, x, y, content, cls) {
  const node = el('text', { x, y, class: cls }, parent);
  node.textContent = content;
  return node;
}

/** SVG collapses leading spaces: a continuation line's indent becomes an x offset. */
/** @param {string} line */
function indentOf(line) {
  return line.startsWith(' ') ? 16 : 0;
}

/** @param {ElkEdgeSection} section */
function pathD(section) {
  const points = [section.startPoint, ...(section.bendPoints ?? []), section.endPoint];
  return points.map((p, k) => `${k === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
}

/** All ancestors of a dotted path, nearest last: "a.b.c" -> ["(root)", "a", "a.b"]. */
/** @param {string} path */
function ancestors(path) {
  const parts = path.split('.');
  const out = [ROOT];
  for (let k = 1; k < parts.length; k++) out.push(parts.slice(0, k).join('.'));
  return out;
}

/** A history pseudo-state stands for its parent when matching where a transition went. */
/**
 * @param {string} path
 * @param {Map<string, MachineNode>} byPath
 */
function effectiveTarget(path, byPath) {
  const node = byPath.get(path);
  return node?.type === 'history' ? (node.parent ?? ROOT) : path;
}

/**
 * @param {string} path
 * @param {string} container
 */
const isWithin = (path, container) => container === ROOT || path === container || path.startsWith(`${container}.`);

/**
 * @param {StatePath | null | undefined} state
 * @returns {string[]}
 */
export function asPaths(state) {
  if (state === null || state === undefined) return [];
  return Array.isArray(state) ? state : [state];
}

/** Whether transition t is the one that took the call from `before` to `after` on `entry`. */
/**
 * @param {MachineTransition} t
 * @param {HistoryEntry} entry
 * @param {string[]} before
 * @param {string[]} after
 * @param {Map<string, MachineNode>} byPath
 */
function tookTransition(t, entry, before, after, byPath) {
  const matchesEvent =
    entry.source === 'timer'
      ? t.event.startsWith('xstate.after.') && t.delay?.timer === entry.type
      : t.event === entry.type;
  if (!matchesEvent) return false;
  if (!before.some((p) => isWithin(p, t.source))) return false;
  if (t.targets.length === 0) return after.some((p) => isWithin(p, t.source)) || after.length === 0;
  return t.targets.every((target) => after.some((p) => isWithin(p, effectiveTarget(target, byPath))));
}

export class FlowDiagram {
  /** @param {HTMLElement} container */
  constructor(container) {
    this.container = container;
    /** @type {SVGElement | null} */
    this.svg = null;
    /** @type {FlowModel | null} */
    this.model = null;
    /** @type {MachineDescription | null} */
    this.machine = null;
  }

  /** @param {MachineDescription} machine */
  async render(machine) {
    const ELK = await loadElk();
    const model = buildGraph(machine);
    // ELK returns the graph it was given, with coordinates: our extra fields are still there.
    const layout = /** @type {FlowNode} */ (await new ELK().layout(model.graph));
    this.machine = machine;
    this.model = model;
    this.draw(layout, machine, model);
  }

  /**
   * @param {FlowNode} layout the graph with ELK's coordinates
   * @param {MachineDescription} machine
   * @param {FlowModel} model
   */
  draw(layout, machine, model) {
    const margin = 16;
    const width = Math.ceil((layout.width ?? 0) + 2 * margin);
    const height = Math.ceil((layout.height ?? 0) + 2 * margin);
    const svg = el('svg', {
      xmlns: SVG_NS,
      viewBox: `${-margin} ${-margin} ${width} ${height}`,
      width,
      height,
      class: 'flow',
      role: 'img',
      'aria-label': `statechart ${machine.id}`,
      'data-ready': 'true',
    });
    const defs = el('defs', {}, svg);
    for (const [id, cls] of /** @type {const} */ ([
      ['arrow', 'arrowhead'],
      ['arrow-taken', 'arrowhead taken'],
    ])) {
      const marker = el(
        'marker',
        { id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
        defs,
      );
      el('path', { d: 'M0,0 L10,5 L0,10 z', class: cls }, marker);
    }

    const statesLayer = el('g', { class: 'states' }, svg);
    const edgesLayer = el('g', { class: 'edges' }, svg);
    const labelsLayer = el('g', { class: 'edge-labels' }, svg);
    const { byPath, internal } = model;

    /**
     * @param {FlowNode} node
     * @param {number} depth
     */
    const drawNode = (node, depth) => {
      const id = node.id;
      const x = node.x ?? 0;
      const y0 = node.y ?? 0;
      const w = node.width ?? 0;
      const ht = node.height ?? 0;
      if (id.startsWith('init:')) {
        const g = el('g', { class: 'initial' }, statesLayer);
        el('circle', { cx: x + 6, cy: y0 + 6, r: 5 }, g);
        return;
      }
      const path = id.slice(2);
      const desc = byPath.get(path);
      if (!desc) return;
      const parent = desc.parent === null ? null : byPath.get(desc.parent);
      const classes = ['state', `type-${desc.type}`];
      if (parent?.type === 'parallel') classes.push('region');
      if (node.children?.length) classes.push('compound');
      const g = el('g', { class: classes.join(' '), 'data-path': path, 'data-depth': depth }, statesLayer);
      el('title', {}, g).textContent = path === ROOT ? machine.id : path;
      if (desc.type === 'history') {
        el('circle', { cx: x + 15, cy: y0 + 15, r: 14, class: 'box' }, g);
        text(g, x + 15, y0 + 19.5, desc.history === 'deep' ? 'H*' : 'H', 'history-mark');
        return;
      }
      el('rect', { x, y: y0, width: w, height: ht, rx: 8, class: 'box' }, g);
      if (desc.type === 'final') {
        el(
          'rect',
          {
            x: x + 4,
            y: y0 + 4,
            width: w - 8,
            height: ht - 8,
            rx: 5,
            class: 'final-inner',
          },
          g,
        );
      }
      let y = y0 + PAD + 10;
      const title = path === ROOT ? machine.id : desc.key;
      text(g, x + PAD, y, title, 'state-title');
      if (desc.type === 'parallel') text(g, x + PAD + textWidth(title, TITLE_FONT) + 6, y, '∥', 'state-kind');
      (internal.get(path) ?? []).forEach((t, index) => {
        y += LINE_H;
        transitionLines(t, true).forEach((content, k) => {
          if (k > 0) y += LINE_H;
          const line = text(g, x + PAD + indentOf(content), y, content.trim(), 'internal');
          line.dataset.source = t.source;
          line.dataset.index = String(index);
          if (t.delay) line.classList.add('delay');
        });
      });
      for (const child of node.children ?? []) drawNode(child, depth + 1);
    };
    drawNode(layout, 0);

    for (const edge of layout.edges ?? []) {
      const sections = edge.sections ?? [];
      const g = el('g', { class: edge.initial ? 'edge initial-edge' : 'edge', 'data-edge': edge.id }, edgesLayer);
      if (edge.group) {
        g.dataset.source = edge.group.source;
        g.dataset.target = edge.group.target;
        g.dataset.events = edge.group.transitions.map((t) => t.event).join(' ');
      }
      for (const section of sections) el('path', { d: pathD(section), 'marker-end': 'url(#arrow)', class: 'wire' }, g);
      for (const label of edge.labels ?? []) {
        const lg = el('g', { class: 'edge-label', 'data-edge': edge.id }, labelsLayer);
        const lx = label.x ?? 0;
        const ly = label.y ?? 0;
        el('rect', { x: lx, y: ly, width: label.width ?? 0, height: label.height ?? 0, rx: 3, class: 'label-bg' }, lg);
        label.text.split('\n').forEach((line, k) => {
          const tl = text(lg, lx + 4 + indentOf(line), ly + 13 + k * LINE_H, line.trim(), 'edge-text');
          const t = edge.group?.transitions[label.owners[k] ?? k];
          if (t?.delay) tl.classList.add('delay');
        });
      }
    }

    this.container.replaceChildren(svg);
    this.svg = svg;
  }

  /**
   * Marks the active states (and their ancestors) and, when the entry that led there is given,
   * the transition it took. `before` is the state just before that entry.
   */
  /**
   * @param {StatePath | null | undefined} state
   * @param {{ entry?: HistoryEntry | null, before?: string[] }} [taken]
   */
  highlight(state, { entry = null, before = [] } = {}) {
    const { svg, model } = this;
    if (!svg || !model) return;
    const active = new Set(asPaths(state));
    const parents = new Set();
    for (const p of active) for (const a of ancestors(p)) parents.add(a);
    for (const g of svg.querySelectorAll('g.state')) {
      if (!(g instanceof SVGElement)) continue;
      const path = g.dataset.path ?? '';
      g.classList.toggle('active', active.has(path));
      g.classList.toggle('active-parent', !active.has(path) && parents.has(path) && active.size > 0);
    }
    const taken = entry === null ? new Set() : this.takenTransitions(entry, before, [...active]);
    for (const g of svg.querySelectorAll('g.edge')) {
      if (!(g instanceof SVGElement)) continue;
      const group = g.dataset.source === undefined ? null : model.groups.get(`${g.dataset.source}→${g.dataset.target}`);
      const on = group ? group.transitions.some((t) => taken.has(t)) : false;
      g.classList.toggle('taken', on);
      for (const wire of g.querySelectorAll('path.wire')) {
        wire.setAttribute('marker-end', on ? 'url(#arrow-taken)' : 'url(#arrow)');
      }
      svg.querySelector(`g.edge-label[data-edge="${g.dataset.edge}"]`)?.classList.toggle('taken', on);
    }
    for (const line of svg.querySelectorAll('text.internal')) {
      if (!(line instanceof SVGElement)) continue;
      const t = (model.internal.get(line.dataset.source ?? '') ?? [])[Number(line.dataset.index)];
      line.classList.toggle('taken', t !== undefined && taken.has(t));
    }
  }

  /**
   * The transitions an event took: those of its event whose source was active before and whose
   * target is active after. Where a state and its ancestor both match (an interjection in the
   * greeting), the deeper one is the one XState chose; parallel regions each keep theirs.
   */
  /**
   * @param {HistoryEntry} entry
   * @param {string[]} before
   * @param {string[]} after
   * @returns {Set<MachineTransition>}
   */
  takenTransitions(entry, before, after) {
    if (!this.model || !this.machine) return new Set();
    const { byPath } = this.model;
    const matches = this.machine.transitions.filter((t) => tookTransition(t, entry, before, after, byPath));
    return new Set(
      matches.filter((t) => !matches.some((o) => o !== t && o.source !== t.source && isWithin(o.source, t.source))),
    );
  }
}

/** The state a new call starts in, from the description: initial children, every parallel region. */
/**
 * @param {MachineDescription} machine
 * @returns {string[]}
 */
export function initialPaths(machine) {
  const byPath = new Map(machine.nodes.map((n) => [n.path, n]));
  /** @param {string} path */
  const kids = (path) => machine.nodes.filter((n) => n.parent === path && n.type !== 'history');
  /**
   * @param {string} path
   * @returns {string[]}
   */
  const walk = (path) => {
    const node = byPath.get(path);
    if (!node) return [];
    if (node.type === 'parallel') return kids(path).flatMap((k) => walk(k.path));
    if (node.type === 'compound' && node.initial) {
      return walk(path === ROOT ? node.initial : `${path}.${node.initial}`);
    }
    return path === ROOT ? [] : [path];
  };
  return walk(ROOT);
}
