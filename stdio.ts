/**
 * Lines for standard output and error without process.stdout/stderr: to
 * Node a pipe or a terminal is a socket, so those streams load node:net
 * and build a stream, about 1.5 ms of a run that prints a line or two.
 */
import * as fs from "fs";

/**
 * Descriptors that once refused a write (EAGAIN): their later lines go
 * through the stream too, so none overtakes a line the stream still holds.
 * (On Linux Node makes a pipe blocking for its stream, so order would hold
 * anyway; elsewhere the stream may queue.)
 */
const viaStream = new Set<number>();

/** Descriptors whose reader has gone (EPIPE): nothing more is written to them. */
const readerGone = new Set<number>();

/**
 * Writes `line` and a newline to descriptor 1 or 2 with plain writes. A
 * descriptor in non-blocking mode whose pipe is full answers EAGAIN; what
 * is left, and every later line, then goes through Node's stream, which
 * waits for the reader. When the reader has gone (`npm run synth | head
 * -1`), the rest is dropped: the lines only report what the run does, so
 * the run still finishes its work.
 */
export function writeLine(fd: 1 | 2, line: string): void {
  if (readerGone.has(fd)) return;
  let data = Buffer.from(`${line}\n`, "utf8");
  if (viaStream.has(fd)) {
    streamFor(fd).write(data);
    return;
  }
  try {
    while (data.length > 0) data = data.subarray(fs.writeSync(fd, data));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EPIPE") {
      readerGone.add(fd);
      return;
    }
    if (code !== "EAGAIN") throw err;
    streamFor(fd).write(data);
  }
}

/** Node's stream for `fd`, from the first use on also told that a reader that has gone ends the output. */
function streamFor(fd: 1 | 2): NodeJS.WriteStream {
  const stream = fd === 1 ? process.stdout : process.stderr;
  if (!viaStream.has(fd)) {
    viaStream.add(fd);
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EPIPE") throw err;
      readerGone.add(fd);
    });
  }
  return stream;
}
