import { buildSchema, graphql, GraphQLError, parse, validate } from 'graphql';
import { errors as joseErrors } from 'jose';
import { MongoNetworkError, MongoOperationTimeoutError, MongoServerError, MongoServerSelectionError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import {
  AppError,
  closeCodeOf,
  ErrorCode,
  forbidden,
  httpStatusOf,
  internalError,
  notFound,
  tenantSuspended,
  toClientError,
  unauthenticated,
} from '../../src/errors.js';
import { rateLimited } from '../../src/limits/limit-errors.js';
import { createFormatError } from '../../src/server/format-error.js';

/** Every error, whatever threw it, through the one module that says what the client sees. */
const selectionFailed = () =>
  new MongoServerSelectionError('Server selection timed out after 5000 ms: connect ECONNREFUSED 10.1.2.3:27017', {
    type: 'Unknown',
    servers: new Map(),
    stale: false,
    compatible: true,
    heartbeatFrequencyMS: 10_000,
    localThresholdMS: 15,
    setName: null,
    maxElectionId: null,
    maxSetVersion: null,
    commonWireVersion: 0,
    logicalSessionTimeoutMS: null,
  } as never);

const schema = buildSchema('type Query { park: Park  name: String! } type Park { id: ID! capacity: Int }');

describe('toClientError', () => {
  it('keeps our own errors as they are', () => {
    for (const error of [unauthenticated(), forbidden(), tenantSuspended(), notFound('Park')]) {
      expect(toClientError(error)).toBe(error);
    }
  });

  it('turns every way the database fails to answer into SERVICE_UNAVAILABLE, keeping the driver error as cause', () => {
    const failures = [
      selectionFailed(),
      new MongoNetworkError('connection 4 to 10.1.2.3:27017 closed'),
      new MongoOperationTimeoutError('Timed out during socket read (5000ms)'),
      new MongoServerError({ code: 91, errmsg: 'The server is in quiesce mode and will shut down' }),
      // What the driver lets through when it writes on a connection the server just closed.
      Object.assign(new Error('This socket has been ended by the other party'), { code: 'EPIPE' }),
    ];
    for (const failure of failures) {
      const client = toClientError(failure);
      expect(client.code).toBe(ErrorCode.SERVICE_UNAVAILABLE);
      expect(client.message).not.toContain('10.1.2.3');
      expect(client.cause).toBe(failure);
    }
    // Also when a layer above (the permission layer) already masked it as an internal error.
    expect(toClientError(internalError(selectionFailed())).code).toBe(ErrorCode.SERVICE_UNAVAILABLE);
  });

  it('masks anything else (a jose error, a duplicate key, a bug) as INTERNAL_SERVER_ERROR without its message', () => {
    const failures = [
      new joseErrors.JWKSTimeout(),
      new MongoServerError({ code: 11000, errmsg: 'E11000 duplicate key error collection: tg.parks tenantId_1' }),
      new TypeError("Cannot read properties of undefined (reading 'tenantId')"),
      'a string thrown by a library',
    ];
    for (const failure of failures) {
      const client = toClientError(failure);
      expect(client.code).toBe(ErrorCode.INTERNAL_SERVER_ERROR);
      expect(client.message).toBe('Internal server error');
      expect(client.cause).toBe(failure);
    }
  });

  it('reports complaints about the request as BAD_USER_INPUT, without "Did you mean" suggestions', () => {
    const [invalid] = validate(schema, parse('{ parc { id } }'));
    const client = toClientError(invalid);
    expect(client.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(client.message).toBe('Cannot query field "parc" on type "Query".');
  });

  it('a GraphQL error with a path that no resolver threw (a null in a non-null field) is the server’s', async () => {
    const result = await graphql({ schema, source: '{ name }', rootValue: { name: null } });
    const client = toClientError(result.errors?.[0]);
    expect(client.code).toBe(ErrorCode.INTERNAL_SERVER_ERROR);
  });

  it('unwraps what graphql-js wrapped around a resolver’s error', async () => {
    const result = await graphql({
      schema,
      source: '{ park { id } }',
      rootValue: {
        park: () => {
          throw selectionFailed();
        },
      },
    });
    expect(result.errors?.[0]).toBeInstanceOf(GraphQLError);
    expect(toClientError(result.errors?.[0]).code).toBe(ErrorCode.SERVICE_UNAVAILABLE);
  });
});

describe('the contract’s statuses and close codes, in one table', () => {
  it('gives each code its HTTP status before execution and its WebSocket close code', () => {
    const expected: Record<ErrorCode, [number, number]> = {
      UNAUTHENTICATED: [401, 4403],
      FORBIDDEN: [403, 4403],
      TENANT_SUSPENDED: [403, 4403],
      NOT_FOUND: [404, 4403],
      BAD_USER_INPUT: [400, 4403],
      RATE_LIMITED: [429, 4403],
      PERSISTED_QUERY_NOT_FOUND: [200, 4403],
      PERSISTED_QUERY_REQUIRED: [400, 4403],
      SERVICE_UNAVAILABLE: [503, 1013],
      INTERNAL_SERVER_ERROR: [500, 1011],
    };
    for (const code of Object.values(ErrorCode)) {
      expect([httpStatusOf(code), closeCodeOf(new AppError(code, 'x'))]).toEqual(expected[code]);
    }
    expect(closeCodeOf(selectionFailed())).toBe(1013);
    expect(closeCodeOf(new Error('bug'))).toBe(1011);
  });

  it('a rate limit carries Retry-After in whole seconds, at least one', () => {
    const error = rateLimited('cost', 0.2);
    expect(error.extensions.http).toEqual({ status: 429, headers: new Map([['retry-after', '1']]) });
  });
});

describe('formatError', () => {
  it('shows the code and safe message only, and reports the cause of what it masks', () => {
    const unexpected: unknown[] = [];
    const unavailable: unknown[] = [];
    const format = createFormatError({
      unexpected: (error) => unexpected.push(error),
      unavailable: (error) => unavailable.push(error),
    });
    const bug = new TypeError('secret detail');
    const masked = format({ message: 'secret detail', path: ['park'] }, internalError(bug));
    expect(masked).toEqual({
      message: 'Internal server error',
      path: ['park'],
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    const down = selectionFailed();
    expect(format({ message: down.message }, down)).toEqual({
      message: 'Service unavailable: the database did not answer',
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
    expect(unexpected).toEqual([bug]);
    expect(unavailable).toEqual([down]);
  });
});
