// node:diagnostics_channel: named channels that publish to their
// subscribers synchronously, and tracing channels (start/end/asyncStart/
// asyncEnd/error) around a function. Channels live per isolate.
import { argType } from "node:_errors";

const channels = new Map();

export class Channel {
  #subscribers = [];
  #stores = new Map();

  constructor(name) {
    this.name = name;
  }

  get hasSubscribers() {
    return this.#subscribers.length > 0 || this.#stores.size > 0;
  }

  subscribe(onMessage) {
    if (typeof onMessage !== "function") throw argType("onMessage", "of type function", onMessage);
    this.#subscribers = [...this.#subscribers, onMessage];
  }

  unsubscribe(onMessage) {
    const index = this.#subscribers.indexOf(onMessage);
    if (index === -1) return false;
    this.#subscribers = this.#subscribers.filter((_, i) => i !== index);
    return true;
  }

  publish(message) {
    // A copy: a subscriber that unsubscribes during publish does not skip
    // the next one. A throwing subscriber must not break the publisher.
    for (const onMessage of this.#subscribers) {
      try {
        onMessage(message, this.name);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  bindStore(store, transform) {
    this.#stores.set(store, transform);
  }

  unbindStore(store) {
    return this.#stores.delete(store);
  }

  runStores(data, fn, thisArg, ...args) {
    let run = () => {
      this.publish(data);
      return Reflect.apply(fn, thisArg, args);
    };
    for (const [store, transform] of this.#stores) {
      const inner = run;
      const value = transform ? transform(data) : data;
      run = () => store.run(value, inner);
    }
    return run();
  }
}

export function channel(name) {
  if (typeof name !== "string" && typeof name !== "symbol") {
    throw argType("channel", "of type string or symbol", name);
  }
  let found = channels.get(name);
  if (!found) {
    found = new Channel(name);
    channels.set(name, found);
  }
  return found;
}

export function hasSubscribers(name) {
  return channels.get(name)?.hasSubscribers ?? false;
}

export function subscribe(name, onMessage) {
  channel(name).subscribe(onMessage);
}

export function unsubscribe(name, onMessage) {
  return channel(name).unsubscribe(onMessage);
}

const EVENTS = ["start", "end", "asyncStart", "asyncEnd", "error"];

export class TracingChannel {
  constructor(nameOrChannels) {
    for (const event of EVENTS) {
      this[event] =
        typeof nameOrChannels === "string" ? channel(`tracing:${nameOrChannels}:${event}`) : nameOrChannels[event];
    }
  }

  get hasSubscribers() {
    return EVENTS.some((event) => this[event].hasSubscribers);
  }

  subscribe(handlers) {
    for (const event of EVENTS) if (handlers[event]) this[event].subscribe(handlers[event]);
  }

  unsubscribe(handlers) {
    let all = true;
    for (const event of EVENTS) if (handlers[event]) all = this[event].unsubscribe(handlers[event]) && all;
    return all;
  }

  traceSync(fn, context = {}, thisArg, ...args) {
    return this.start.runStores(context, () => {
      try {
        context.result = Reflect.apply(fn, thisArg, args);
        return context.result;
      } catch (err) {
        context.error = err;
        this.error.publish(context);
        throw err;
      } finally {
        this.end.publish(context);
      }
    });
  }

  tracePromise(fn, context = {}, thisArg, ...args) {
    return this.start.runStores(context, () => {
      try {
        const promise = Promise.resolve(Reflect.apply(fn, thisArg, args));
        this.end.publish(context);
        return promise.then(
          (result) => {
            context.result = result;
            this.asyncStart.publish(context);
            this.asyncEnd.publish(context);
            return result;
          },
          (err) => {
            context.error = err;
            this.error.publish(context);
            this.asyncStart.publish(context);
            this.asyncEnd.publish(context);
            throw err;
          },
        );
      } catch (err) {
        context.error = err;
        this.error.publish(context);
        this.end.publish(context);
        throw err;
      }
    });
  }

  traceCallback(fn, position = -1, context = {}, thisArg, ...args) {
    const index = position < 0 ? args.length + position : position;
    const callback = args[index];
    if (typeof callback !== "function") throw argType("callback", "of type function", callback);
    args[index] = (err, ...rest) => {
      if (err) {
        context.error = err;
        this.error.publish(context);
      } else {
        context.result = rest[0];
      }
      this.asyncStart.publish(context);
      try {
        return Reflect.apply(callback, thisArg, [err, ...rest]);
      } finally {
        this.asyncEnd.publish(context);
      }
    };
    return this.traceSync(fn, context, thisArg, ...args);
  }
}

export function tracingChannel(nameOrChannels) {
  return new TracingChannel(nameOrChannels);
}

export default { channel, hasSubscribers, subscribe, unsubscribe, tracingChannel, Channel };
