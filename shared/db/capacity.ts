import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tableDefinition } from './table.ts';

/**
 * DynamoDB capacity accounting. Every call the document client makes asks for
 * `ReturnConsumedCapacity: 'TOTAL'` (no extra request, a few bytes more in the answer), and each
 * answer is handed to the observers registered with {@link observeCapacity}, with two figures:
 *
 * - `reported`: the capacity units DynamoDB says the call consumed (read and write apart where it
 *   says so). This is the figure to trust on AWS.
 * - `estimated`: read and write request units computed from the items sent and received, the way
 *   DynamoDB bills on-demand requests (see {@link estimateCapacity}). moto (the local emulator)
 *   answers `ReturnConsumedCapacity` with fixed numbers per operation (0.5 for GetItem, 1 for
 *   PutItem and Query whatever their size, nothing for transactions), so the bench uses this one.
 *
 * With no observer registered, nothing is computed: the cost in a function is one object spread.
 */

/** Read and write request units (on-demand), or capacity units (provisioned): the same numbers. */
export interface CapacityUnits {
  readonly read: number;
  readonly write: number;
}

export interface CapacityUse {
  /** The SDK command, e.g. `TransactWriteItemsCommand` or `QueryCommand`. */
  readonly command: string;
  /** What DynamoDB reported; `undefined` when the answer carried no ConsumedCapacity. */
  readonly reported: { readonly total: number; readonly read?: number; readonly write?: number } | undefined;
  readonly estimated: CapacityUnits;
}

export type CapacityObserver = (use: CapacityUse) => void;

const observers = new Set<CapacityObserver>();

/** Calls `observer` after every DynamoDB call of this process; returns the function that stops it. */
export function observeCapacity(observer: CapacityObserver): () => void {
  observers.add(observer);
  return () => {
    observers.delete(observer);
  };
}

type Item = Readonly<Record<string, unknown>>;

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** DynamoDB's size of a number: about one byte per two significant digits, plus one. */
function numberSize(value: number | bigint): number {
  const digits = String(value)
    .replace(/^-/, '')
    .replace(/e.*$/i, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

/**
 * The size DynamoDB counts for one attribute value, as its documentation describes item sizes:
 * strings and binaries by their bytes, numbers by their significant digits, booleans and nulls one
 * byte, lists and maps 3 bytes plus one per element plus their elements (map keys by their bytes),
 * sets the sum of their elements. Values are the document client's native ones (this module sits
 * on the document client), so a Set is a DynamoDB set and an object a map.
 */
export function valueSize(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8(value);
  if (typeof value === 'number' || typeof value === 'bigint') return numberSize(value);
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) return [...value].reduce((sum: number, element) => sum + valueSize(element), 0);
  if (Array.isArray(value))
    return 3 + value.reduce((sum: number, element) => sum + 1 + valueSize(element), 0);
  if (typeof value === 'object') {
    const entries = Object.entries(value as Item).filter(([, v]) => v !== undefined);
    return 3 + entries.reduce((sum, [key, v]) => sum + 1 + utf8(key) + valueSize(v), 0);
  }
  return utf8(String(value));
}

/** An item's size: the sum of its attribute names and values (what the 1 KB and 4 KB units divide). */
export function itemSize(item: Item): number {
  return Object.entries(item)
    .filter(([, value]) => value !== undefined)
    .reduce((sum, [name, value]) => sum + utf8(name) + valueSize(value), 0);
}

const KB = 1024;
/** One read unit reads up to 4 KB strongly consistent (half a unit eventually consistent). */
const readUnits = (bytes: number, consistent: boolean) =>
  Math.max(1, Math.ceil(bytes / (4 * KB))) * (consistent ? 1 : 0.5);
/** One write unit writes up to 1 KB. */
const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / KB));

const indexKeys = tableDefinition.globalSecondaryIndexes.map((index) => index.partitionKey);

/**
 * Write units of putting `item`: the table write plus one write per global secondary index whose
 * key the item carries (the indexes project all attributes, so each copy is the item's size).
 */
function putUnits(item: Item): number {
  const units = writeUnits(itemSize(item));
  return units * (1 + indexKeys.filter((key) => item[key] !== undefined).length);
}

interface UpdateLike {
  readonly Key?: Item;
  readonly ExpressionAttributeValues?: Item;
  readonly UpdateExpression?: string;
}

/**
 * An update's write units. DynamoDB bills the larger of the item's size before and after; neither
 * is in the request, so the estimate counts the key and the values written (a lower bound: right
 * for the small records this table holds, low for an update to a large item). An update that sets
 * an index key writes the index too.
 */
function updateUnits(update: UpdateLike): number {
  const bytes = itemSize(update.Key ?? {}) + itemSize(update.ExpressionAttributeValues ?? {});
  const touchesIndex = indexKeys.some((key) => update.UpdateExpression?.includes(key));
  return writeUnits(bytes) * (touchesIndex ? 2 : 1);
}

/** Read units of a page of items read together (Query: one sum for the page, rounded up once). */
function pageUnits(items: readonly Item[], consistent: boolean): number {
  return readUnits(
    items.reduce((sum, item) => sum + itemSize(item), 0),
    consistent,
  );
}

type Input = Readonly<Record<string, unknown>>;
type Output = Readonly<Record<string, unknown>>;

/**
 * Request units of one call, computed from what it sent and received as DynamoDB bills on-demand
 * requests: reads per 4 KB (half for eventually consistent reads), writes per 1 KB, transactions
 * twice that, deletes and condition checks at the minimum (their item is not in the request),
 * updates from the key and the values written (see {@link updateUnits}). Query counts the items it
 * returned; items a filter dropped were read and billed too, and are missed here (no route filters).
 */
export function estimateCapacity(command: string, input: Input, output: Output): CapacityUnits {
  const consistent = input.ConsistentRead === true;
  switch (command) {
    case 'GetCommand':
    case 'GetItemCommand':
      return { read: readUnits(output.Item ? itemSize(output.Item as Item) : 0, consistent), write: 0 };
    case 'QueryCommand':
    case 'ScanCommand':
      return { read: pageUnits((output.Items as Item[] | undefined) ?? [], consistent), write: 0 };
    case 'BatchGetCommand':
    case 'BatchGetItemCommand': {
      let read = 0;
      const requested = (input.RequestItems ?? {}) as Record<
        string,
        { Keys?: Item[]; ConsistentRead?: boolean }
      >;
      const responses = (output.Responses ?? {}) as Record<string, Item[]>;
      for (const [table, request] of Object.entries(requested)) {
        const found = responses[table] ?? [];
        const strong = request.ConsistentRead === true;
        read += found.reduce((sum, item) => sum + readUnits(itemSize(item), strong), 0);
        // A key that matched nothing still costs the minimum read.
        read += Math.max(0, (request.Keys?.length ?? 0) - found.length) * readUnits(0, strong);
      }
      return { read, write: 0 };
    }
    case 'PutCommand':
    case 'PutItemCommand':
      return { read: 0, write: putUnits((input.Item ?? {}) as Item) };
    case 'UpdateCommand':
    case 'UpdateItemCommand':
      return { read: 0, write: updateUnits(input as UpdateLike) };
    case 'DeleteCommand':
    case 'DeleteItemCommand':
      return { read: 0, write: writeUnits(0) };
    case 'BatchWriteCommand':
    case 'BatchWriteItemCommand': {
      const requests = Object.values((input.RequestItems ?? {}) as Record<string, Item[]>).flat();
      const write = requests.reduce((sum: number, request) => {
        const put = (request.PutRequest as { Item?: Item } | undefined)?.Item;
        return sum + (put ? putUnits(put) : writeUnits(0));
      }, 0);
      return { read: 0, write };
    }
    case 'TransactWriteCommand':
    case 'TransactWriteItemsCommand': {
      const actions = (input.TransactItems ?? []) as Record<string, Item | undefined>[];
      const write = actions.reduce((sum: number, action) => {
        if (action.Put) return sum + 2 * putUnits((action.Put.Item ?? {}) as Item);
        if (action.Update) return sum + 2 * updateUnits(action.Update as UpdateLike);
        return sum + 2 * writeUnits(0); // Delete, ConditionCheck
      }, 0);
      return { read: 0, write };
    }
    case 'TransactGetCommand':
    case 'TransactGetItemsCommand': {
      const responses = (output.Responses ?? []) as { Item?: Item }[];
      return {
        read: responses.reduce((sum, r) => sum + 2 * readUnits(r.Item ? itemSize(r.Item) : 0, true), 0),
        write: 0,
      };
    }
    default:
      return { read: 0, write: 0 };
  }
}

interface ConsumedCapacity {
  readonly CapacityUnits?: number;
  readonly ReadCapacityUnits?: number;
  readonly WriteCapacityUnits?: number;
}

/** Sums the ConsumedCapacity of an answer (one object, or one per table for batches and transactions). */
export function reportedCapacity(output: Output): CapacityUse['reported'] {
  const consumed = output.ConsumedCapacity as ConsumedCapacity | ConsumedCapacity[] | undefined;
  if (consumed === undefined) return undefined;
  const all = Array.isArray(consumed) ? consumed : [consumed];
  if (all.length === 0) return undefined;
  const sum = (field: keyof ConsumedCapacity) =>
    all.some((c) => c[field] !== undefined) ? all.reduce((s, c) => s + (c[field] ?? 0), 0) : undefined;
  return {
    total: sum('CapacityUnits') ?? 0,
    read: sum('ReadCapacityUnits'),
    write: sum('WriteCapacityUnits'),
  };
}

/**
 * Adds the accounting to a client's middleware stack, at the `initialize` step so it sees the
 * document client's native values on the way in and on the way out.
 */
export function addCapacityAccounting(stack: DynamoDBDocumentClient['middlewareStack']): void {
  stack.add(
    (next, context) => async (args) => {
      const given = args.input as Input;
      const input: Input = given.ReturnConsumedCapacity
        ? given
        : { ...given, ReturnConsumedCapacity: 'TOTAL' };
      const result = await next({ ...args, input: input as typeof args.input });
      if (observers.size > 0) {
        const command = context.commandName ?? 'unknown';
        const output = result.output as Output;
        const use: CapacityUse = {
          command,
          reported: reportedCapacity(output),
          estimated: estimateCapacity(command, input, output),
        };
        for (const observer of observers) observer(use);
      }
      return result;
    },
    { step: 'initialize', name: 'plinthCapacityAccounting', override: true },
  );
}
