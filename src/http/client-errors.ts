// Errors raised outside modgate's own handlers, turned into ModgateErrors so they get the same
// short plain-text answers as every other error: requests Node's HTTP parser refuses before any
// routing (malformed request line, raw control or non-ASCII bytes, a method HTTP does not know,
// header fields too large, a request that never completes) and fastify's own request errors (body
// not valid JSON, unsupported Content-Type, body too large, malformed URL).
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { ModgateError } from '../errors/modgate-error.js';
import { statusOf } from './error-status.js';

/** What Node's parser error means for the client (never echoes the raw bytes back). */
export function parserError(err: Error & { code?: string }): ModgateError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new ModgateError('HEADERS_TOO_LARGE', 'request header fields too large', { hint: 'send fewer or shorter headers' });
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ModgateError('REQUEST_TIMEOUT', 'the request was not received in time');
    case 'HPE_INVALID_METHOD':
      return new ModgateError('INVALID_REQUEST', 'bad request: unknown HTTP method', { hint: 'the module proxy answers GET and HEAD' });
    case 'HPE_INVALID_URL':
    case 'HPE_INVALID_PATH':
      return new ModgateError('INVALID_REQUEST', 'bad request: malformed request target', {
        hint: 'control characters, spaces and non-ASCII bytes must be percent-encoded',
      });
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_INVALID_VERSION':
    case 'HPE_LF_EXPECTED':
    case 'HPE_CR_EXPECTED':
      return new ModgateError('INVALID_REQUEST', 'bad request: malformed request line or header');
    default:
      return new ModgateError('INVALID_REQUEST', 'bad request: malformed HTTP request');
  }
}

/**
 * fastify's `clientErrorHandler`: answers a request the HTTP parser refused with the status and
 * plain-text reason of parserError, then closes the connection (the stream is out of sync).
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const e = parserError(err);
    const status = statusOf(e.code);
    const body = `${e.userMessage}\n`;
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
        'Content-Type: text/plain; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Modgate-Error: ${e.code}\r\n` +
        'Cache-Control: no-store\r\n' +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy();
}

/**
 * A fastify error about the request itself (it carries a 4xx statusCode: content-type parsing,
 * JSON syntax, body size, bad URL) as a ModgateError with fastify's message; undefined for
 * anything else (those remain internal errors).
 */
export function requestError(err: unknown): ModgateError | undefined {
  if (!(err instanceof Error)) return undefined;
  const status = (err as { statusCode?: unknown }).statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  const message = err.message.replace(/[^\x20-\x7e]/g, ' ').slice(0, 300);
  switch (status) {
    case 413:
      return new ModgateError('PAYLOAD_TOO_LARGE', `request body too large: ${message}`, { cause: err });
    case 415:
      return new ModgateError('UNSUPPORTED_MEDIA_TYPE', `unsupported request body type: ${message}`, {
        cause: err,
        hint: 'send Content-Type: application/json (admin prewarm: text/plain)',
      });
    default:
      return new ModgateError('INVALID_REQUEST', `invalid request: ${message}`, { cause: err });
  }
}
