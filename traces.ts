/**
 * cdktf records where each of its thousands of tokens was created by
 * capturing a stack trace on a plain object (Error.captureStackTrace),
 * also for the tokens its own modules create while loading; that was 29%
 * of synthesis time (node --cpu-prof, 100 Sovereigns) and never reaches
 * cdk.tf.json. While installed, such a capture gives the stack "" at once,
 * without collecting frames; real Errors are captured as usual.
 */
export function installCheapTokenTraces(): () => void {
  const capture = Error.captureStackTrace;
  Error.captureStackTrace = (target: object, constructorOpt?: Function) => {
    if (target instanceof Error) capture(target, constructorOpt);
    else Object.defineProperty(target, "stack", { value: "", writable: true, configurable: true });
  };
  return () => {
    Error.captureStackTrace = capture;
  };
}
