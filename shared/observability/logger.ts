/**
 * The logging surface every process's modules take, and the one place that
 * builds a process logger: pino, one JSON line per event on stdout (or
 * pino-pretty's one-line output for a person at a terminal).
 *
 * Modules see only `Logger` — a message plus optional structured fields —
 * so they do not depend on pino, and a test can hand in any object with
 * these three methods. The servers also reach the pino instance behind a
 * ProcessLogger, for the access lines and request-scoped child loggers.
 */
import { createHash } from 'node:crypto';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';

export type LogFields = Record<string, unknown>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** A Logger backed by pino: what startGateway/startSubgraph build their request logs on. */
export interface ProcessLogger extends Logger {
  debug(message: string, fields?: LogFields): void;
  readonly pino: PinoLogger;
  /** The same logger with `bindings` on every line. */
  child(bindings: LogFields): ProcessLogger;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export interface LoggingConfig {
  level: LogLevel;
  /** undefined: pretty when stdout is a terminal, JSON otherwise. */
  format: 'json' | 'pretty' | undefined;
}

/**
 * Paths pino removes before a line is written. Nothing in this project logs
 * headers, bodies or credentials on purpose (request lines carry method,
 * path, status and ids only); this is the safety net for a field someone
 * adds later, e.g. an error whose properties include the request it failed on.
 */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'sessionId',
  '*.sessionId',
  'cookie',
  '*.cookie',
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
  '*.headers["x-session-id"]',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'headers["x-session-id"]',
];

export interface CreateLoggerOptions extends Partial<LoggingConfig> {
  /** `service` on every line: "gateway" or the subgraph's name. */
  service: string;
  /** Where lines go instead of stdout (tests capture them here). */
  destination?: DestinationStream;
}

export function createLogger(options: CreateLoggerOptions): ProcessLogger {
  const format = options.format ?? (process.stdout.isTTY ? 'pretty' : 'json');
  const destination =
    options.destination ??
    (format === 'pretty'
      ? // One line per event, so the launcher's "[name] " prefix stays readable; synchronous
        // because this is for a person at a terminal, not for throughput.
        pretty({ sync: true, singleLine: true, ignore: 'pid,hostname,service', translateTime: 'SYS:HH:MM:ss.l' })
      : undefined);
  const pinoOptions = {
    level: options.level ?? 'info',
    base: { service: options.service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Level names, not numbers: a person greps for "error".
    formatters: { level: (label: string) => ({ level: label }) },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  return fromPino(destination ? pino(pinoOptions, destination) : pino(pinoOptions));
}

/** A ProcessLogger over a pino logger (a request's own child, for one). */
export function fromPino(logger: PinoLogger): ProcessLogger {
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields?: LogFields): void => {
      if (fields) logger[level](fields, message);
      else logger[level](message);
    };
  return {
    pino: logger,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (bindings) => fromPino(logger.child(bindings)),
  };
}

/** The pino behind `logger`, or a silent one for a plain Logger (tests pass those). */
export function pinoOf(logger: Logger): PinoLogger {
  return (logger as Partial<ProcessLogger>).pino ?? silentLogger.pino;
}

/**
 * For Apollo Server and ApolloGateway, which otherwise write plain text to
 * the console: their warnings and errors become JSON lines too, their
 * chatter goes to debug.
 */
export function apolloLogger(logger: Logger) {
  const debug = (message: unknown) => (logger as Partial<ProcessLogger>).debug?.(String(message));
  return {
    debug,
    info: debug,
    warn: (message: unknown) => logger.warn(String(message)),
    error: (message: unknown) => logger.error(String(message)),
  };
}

/** Logs nothing; what tests and the benchmark pass. */
export const silentLogger: ProcessLogger = fromPino(pino({ level: 'silent' }));

/**
 * A short, one-way stand-in for a secret that a log line needs to correlate
 * on (a session id): the first 12 hex digits of its SHA-256. It tells two
 * sessions apart in the logs but cannot be presented as the credential.
 */
export function shortHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 12);
}
