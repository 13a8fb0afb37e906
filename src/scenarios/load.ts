/**
 * Reads a scenario file: YAML in, a checked Scenario out, with the line of every step for
 * reports. A file that is not valid YAML or does not fit the schema is a ScenarioFileError
 * naming the file and the line of each problem (ajv's instance path is walked through the
 * YAML document's nodes back to where the value is written).
 */
import { readFile } from 'node:fs/promises';
import { Ajv, type ErrorObject } from 'ajv';
import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { Scenario, StrictStep } from './format.js';

export interface LoadedScenario {
  file: string;
  scenario: Scenario;
  /** 1-based line of each step in the file (null where a scenario did not come from a file). */
  stepLines: (number | null)[];
}

export interface FileProblem {
  line: number;
  /** Where in the scenario, e.g. `steps[2].data.topic` (empty for the whole file). */
  where: string;
  message: string;
}

export class ScenarioFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: FileProblem[],
  ) {
    super(problems.map((p) => `${file}:${p.line}: ${p.where ? `${p.where}: ` : ''}${p.message}`).join('\n'));
    this.name = 'ScenarioFileError';
  }
}

// verbose: errors carry the offending value, so a report can say what was written.
const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
const validateScenario = ajv.compile<Scenario>(Scenario);
const validateStep = ajv.compile(StrictStep);

/** Parses and checks one scenario file's text. `file` only names it in errors and reports. */
export function parseScenario(text: string, file: string): LoadedScenario {
  const lineCounter = new LineCounter();
  // uniqueKeys (the default): a key given twice is an error, not a silent override.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const lineAt = (offset: number) => Math.max(1, lineCounter.linePos(offset).line);
  if (doc.errors.length > 0) {
    throw new ScenarioFileError(
      file,
      doc.errors.map((e) => ({ line: lineAt(e.pos[0]), where: '', message: e.message.split('\n')[0] ?? e.message })),
    );
  }
  if (doc.contents === null) throw new ScenarioFileError(file, [{ line: 1, where: '', message: 'the file is empty' }]);
  const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (!validateScenario(value)) {
    const located = describeErrors(validateScenario.errors ?? []).map(({ path, where, message }) => ({
      offset: nodeAt(doc, path)?.range?.[0] ?? 0,
      where,
      message,
    }));
    // In the order they are written.
    located.sort((a, b) => a.offset - b.offset);
    throw new ScenarioFileError(
      file,
      located.map(({ offset, where, message }) => ({ line: lineAt(offset), where, message })),
    );
  }
  const steps = doc.get('steps', true);
  const stepLines = value.steps.map((_, i) => {
    const node = isSeq(steps) ? (steps.items[i] as Node | undefined) : undefined;
    return node?.range ? lineAt(node.range[0]) : null;
  });
  return { file, scenario: value, stepLines };
}

export async function loadScenarioFile(path: string): Promise<LoadedScenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ScenarioFileError(path, [{ line: 1, where: '', message: `cannot read: ${(error as Error).message}` }]);
  }
  return parseScenario(text, path);
}

export interface StepProblem {
  /** 0-based index of the step. */
  index: number;
  where: string;
  message: string;
}

/** Checks steps that did not come from a file (POST /v1/simulate) with the same strict rules. */
export function checkSteps(steps: unknown[]): StepProblem[] {
  const problems: StepProblem[] = [];
  steps.forEach((step, index) => {
    if (validateStep(step)) return;
    for (const { where, message } of describeErrors(validateStep.errors ?? [])) {
      problems.push({ index, where: where ? `steps[${index}].${where}` : `steps[${index}]`, message });
    }
  });
  return problems;
}

interface Described {
  /** Path into the document; an unknown key's own name is the last segment, so its line is found. */
  path: (string | number)[];
  where: string;
  message: string;
}

/** ajv's errors as one readable message per problem. */
function describeErrors(errors: ErrorObject[]): Described[] {
  // if/then wrappers only say "must match then schema"; the errors inside say what.
  const relevant = errors.filter((e) => e.keyword !== 'if');
  // A union (anyOf) reports every branch: say once what the value may be.
  const unions = new Set(relevant.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  // A value of the wrong type also fails its enum: the type error says it.
  const wrongType = new Set(relevant.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  const described: Described[] = [];
  const seen = new Set<string>();
  for (const error of relevant) {
    if (error.keyword === 'enum' && wrongType.has(error.instancePath)) continue;
    const path = pathOf(error.instancePath);
    let message: string;
    if (unions.has(error.instancePath)) {
      if (error.keyword !== 'anyOf') continue;
      const types = relevant
        .filter((e) => e.instancePath === error.instancePath && e.keyword === 'type')
        .map((e) => String(e.params.type));
      message = types.length > 0 ? `must be ${types.join(' or ')}` : 'does not match any allowed form';
    } else if (error.keyword === 'additionalProperties') {
      path.push(String(error.params.additionalProperty));
      message = 'is not a known field';
    } else if (error.keyword === 'required') {
      const missing = String(error.params.missingProperty);
      // A step that is neither kind is checked as an event step: say both.
      message = missing === 'event' ? 'needs "event" (or "wait")' : `needs "${missing}"`;
    } else if (error.keyword === 'enum') {
      const allowed = (error.params.allowedValues as unknown[]).map(String);
      const given = JSON.stringify(error.data);
      message =
        allowed.length > 8
          ? `${given} is not a known value; did you mean ${closest(String(error.data), allowed)}?`
          : `${given} must be one of: ${allowed.join(', ')}`;
    } else {
      message = error.message ?? 'is invalid';
    }
    const where = whereOf(path);
    const key = `${where}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    described.push({ path, where, message });
  }
  return described;
}

function pathOf(instancePath: string): (string | number)[] {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

/** `steps[2].data.topic` */
function whereOf(path: (string | number)[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/** The deepest node of the document along `path` (a map key's own node for its last segment). */
function nodeAt(doc: Document, path: (string | number)[]): Node | null {
  let node: unknown = doc.contents;
  let found: Node | null = doc.contents as Node | null;
  for (const [i, segment] of path.entries()) {
    if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
    } else if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && String(isScalar(p.key) ? p.key.value : p.key) === String(segment),
      );
      if (!pair) break;
      // The last segment names a key (an unknown field): point at the key itself.
      node = i === path.length - 1 ? pair.key : (pair.value ?? pair.key);
    } else {
      break;
    }
    if (node && typeof node === 'object' && 'range' in node) found = node as Node;
    else break;
  }
  return found;
}

/** The allowed value nearest to a misspelt one (edit distance), for "did you mean". */
function closest(given: string, allowed: string[]): string {
  // A value cut short ("customer.repeat") means the name it starts.
  const extensions = allowed.filter((a) => a.startsWith(given)).sort((a, b) => a.length - b.length);
  if (extensions[0]) return extensions[0];
  let best = allowed[0] ?? '';
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of allowed) {
    const d = editDistance(given, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = row;
  }
  return previous[b.length] ?? 0;
}
