import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { truncate } from '../domain/ids.js';

// Full ISO-8601 date-times with an explicit offset or Z; dates without a time are ambiguous.
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

const badInput = (message: string, node?: ValueNode) => new GraphQLError(message, { nodes: node, extensions: { code: 'BAD_USER_INPUT' } });

function parseDateTime(v: unknown, node?: ValueNode): Date {
  if (typeof v !== 'string' || !ISO.test(v))
    throw badInput(
      `DateTime must be an ISO-8601 string with a time zone, e.g. 2026-05-01T00:00:00Z; got ${JSON.stringify(typeof v === 'string' ? truncate(v) : v)?.slice(0, 100)}`,
      node,
    );
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw badInput(`DateTime ${JSON.stringify(v)} is not a real instant`, node); // v matched ISO: short
  return d;
}

export const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize(v) {
    if (v instanceof Date) return v.toISOString();
    if (typeof v === 'string') return parseDateTime(v).toISOString();
    throw new GraphQLError('DateTime cannot represent a non-date value');
  },
  parseValue: (v) => parseDateTime(v),
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw badInput('DateTime must be a string', ast);
    return parseDateTime(ast.value, ast);
  },
});

function literalToJson(ast: ValueNode, variables?: Record<string, unknown> | null): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map((v) => literalToJson(v, variables));
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literalToJson(f.value, variables)]));
    case Kind.VARIABLE:
      return variables?.[ast.name.value];
    default:
      throw badInput('unsupported JSON literal');
  }
}

export const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  serialize: (v) => v,
  parseValue: (v) => v,
  parseLiteral: literalToJson,
});

/** A file of the GraphQL multipart request spec: yoga hands the parsed web File through. */
export const Upload = new GraphQLScalarType<File, never>({
  name: 'Upload',
  serialize() {
    throw new GraphQLError('Upload is an input only');
  },
  parseValue(v) {
    const f = v as Partial<File> | null;
    if (f && typeof f === 'object' && typeof f.arrayBuffer === 'function' && typeof f.size === 'number') return v as File;
    throw badInput('Upload takes a file sent with the GraphQL multipart request spec (multipart/form-data with operations, map and the file).');
  },
  parseLiteral(ast) {
    throw badInput('Upload takes a file sent with the GraphQL multipart request spec, never a literal.', ast);
  },
});

/** Integers within ±(2^53 - 1): sums of minor units, past GraphQL's 32-bit Int. */
function safeInt(v: unknown, node?: ValueNode): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw badInput(`SafeInt must be an integer within ±${Number.MAX_SAFE_INTEGER}`, node);
  return v;
}

export const SafeInt = new GraphQLScalarType<number, number>({
  name: 'SafeInt',
  serialize(v) {
    if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
    throw new GraphQLError('SafeInt cannot represent a value beyond ±(2^53 - 1) exactly');
  },
  parseValue: (v) => safeInt(v),
  parseLiteral(ast) {
    if (ast.kind !== Kind.INT) throw badInput('SafeInt must be an integer', ast);
    return safeInt(Number(ast.value), ast);
  },
});
