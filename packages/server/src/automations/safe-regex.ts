/**
 * Operators' regular expressions run against untrusted text, so a pattern with catastrophic
 * backtracking (`^(a+)+$`) must not stall the process. Matching runs in a `vm` context with a
 * time limit: V8 interrupts a running regular expression when the limit passes.
 */
import vm from 'node:vm';

/** How long one match may take (wall time, so it has headroom for a busy machine). */
export const REGEX_TIME_LIMIT_MS = 100;
/** Compiling is linear in the pattern; this limit only guards against a stalled process. */
const COMPILE_TIME_LIMIT_MS = 1000;
/** Flags a rule may use; `g` and `y` are refused (they make `test` stateful). */
export const ALLOWED_FLAGS = /^[imsu]*$/;

const sandbox = vm.createContext(Object.create(null) as object);
const compileScript = new vm.Script('new RegExp(pattern, flags)');
const testScript = new vm.Script('re.test(text)');

/** Null when the pattern compiles, else what is wrong with it. */
export function regexError(pattern: string, flags = ''): string | null {
  if (!ALLOWED_FLAGS.test(flags) || new Set(flags).size !== flags.length) return 'flags may only be i, m, s and u, each once';
  try {
    Object.assign(sandbox, { pattern, flags });
    compileScript.runInContext(sandbox, { timeout: COMPILE_TIME_LIMIT_MS });
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

export type SafeMatch = boolean | 'timeout';

/** Whether `pattern` matches `text`; `'timeout'` when it took longer than `timeoutMs`. */
export function safeRegexTest(pattern: string, flags: string, text: string, timeoutMs = REGEX_TIME_LIMIT_MS): SafeMatch {
  try {
    Object.assign(sandbox, { pattern, flags, text });
    const re = compileScript.runInContext(sandbox, { timeout: COMPILE_TIME_LIMIT_MS }) as RegExp;
    Object.assign(sandbox, { re });
    return testScript.runInContext(sandbox, { timeout: timeoutMs }) === true;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return 'timeout';
    return false;
  } finally {
    Object.assign(sandbox, { pattern: undefined, flags: undefined, text: undefined, re: undefined });
  }
}
