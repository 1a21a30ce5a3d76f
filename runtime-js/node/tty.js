// node:tty: an app has no terminal; `isatty` is false for every descriptor.
import { unsupportedClass } from "node:_errors";

export const isatty = () => false;
export const ReadStream = unsupportedClass("tty", "ReadStream", "an app has no terminal");
export const WriteStream = unsupportedClass("tty", "WriteStream", "an app has no terminal");

export default { isatty, ReadStream, WriteStream };
