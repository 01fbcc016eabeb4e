/**
 * withCheapTokenTraces (app.ts): while synthesis runs, stack captures on
 * plain objects (cdktf's token creation traces) cost nothing and give "",
 * real Errors keep their frames, and both hooks are restored afterwards.
 */
import { Lazy } from "cdktf";
import { TokenMap } from "cdktf/lib/tokens/private/token-map";
import { withCheapTokenTraces } from "../app";

test("a capture on a plain object gives the stack \"\" without collecting frames", () => {
  const spy = jest.spyOn(Error, "captureStackTrace");
  try {
    const seen = withCheapTokenTraces(() => {
      const target: { stack?: string } = {};
      Error.captureStackTrace(target);
      const existing = { stack: "" };
      Error.captureStackTrace(existing);
      return { target: target.stack, existing: existing.stack, enumerable: Object.keys(target) };
    });
    expect(seen).toEqual({ target: "", existing: "", enumerable: [] });
    // V8's capture (here the spy it was when the run started) never ran.
    expect(spy).not.toHaveBeenCalled();
    withCheapTokenTraces(() => Error.captureStackTrace(new Error("real")));
    expect(spy).toHaveBeenCalledTimes(1);
  } finally {
    spy.mockRestore();
  }
});

test("cdktf's tokens keep no creation trace while it runs, and do outside", () => {
  const inside = withCheapTokenTraces(() => Lazy.stringValue({ produce: () => "x" }));
  const outside = Lazy.stringValue({ produce: () => "x" });
  const creationStack = (token: string) => TokenMap.instance().lookupString(token)!.creationStack;
  expect(creationStack(inside)).toEqual([]);
  expect(creationStack(outside).length).toBeGreaterThan(0);
});

test("real Errors keep their frames, thrown or captured", () => {
  class CustomError extends Error {}
  const { thrown, captured } = withCheapTokenTraces(() => {
    const target = new CustomError("captured");
    Error.captureStackTrace(target);
    return { thrown: new Error("thrown").stack, captured: target.stack };
  });
  expect(thrown).toMatch(/^Error: thrown\n {4}at /);
  expect(captured).toMatch(/^Error: captured\n {4}at /);
});

test("both hooks are restored when fn returns and when it throws", () => {
  const capture = Error.captureStackTrace;
  const prepare = Error.prepareStackTrace;
  withCheapTokenTraces(() => 1);
  expect(Error.captureStackTrace).toBe(capture);
  expect(Error.prepareStackTrace).toBe(prepare);
  expect(() =>
    withCheapTokenTraces(() => {
      throw new Error("boom");
    }),
  ).toThrow("boom");
  expect(Error.captureStackTrace).toBe(capture);
  expect(Error.prepareStackTrace).toBe(prepare);
});
