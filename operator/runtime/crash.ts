/**
 * The crash-injection seam. `CrashInjector` counts external calls (cloud API calls and Kubernetes
 * writes) across every port wrapped with `withCrashInjection`; when the Nth call has *completed* — its
 * side effect happened, its result is lost — it throws `SimulatedCrash`, and from then on every wrapped
 * call throws too, as a dead process would make none. The controller treats SimulatedCrash as the
 * process dying: the manager stops at once without releasing its lease or writing anything more.
 *
 * Production never arms an injector; the wrapper costs one counter increment per call.
 */

export class SimulatedCrash extends Error {
  constructor(
    readonly afterCall: number,
    readonly call: string,
  ) {
    super(`simulated crash after external call #${afterCall} (${call})`);
    this.name = "SimulatedCrash";
  }
}

export class CrashInjector {
  #calls = 0;
  #crashed = false;
  /** Names of the external calls made, in order (lets a test enumerate crash points). */
  readonly log: string[] = [];

  /** @param crashAfter crash once this many calls have completed; undefined = never (just count). */
  constructor(readonly crashAfter?: number) {}

  get calls(): number {
    return this.#calls;
  }

  get crashed(): boolean {
    return this.#crashed;
  }

  /** Runs `call` unless already crashed; crashes after it if this was the fatal call. */
  async run<T>(name: string, call: () => Promise<T>): Promise<T> {
    if (this.#crashed) throw new SimulatedCrash(this.#calls, `${name} (after death)`);
    const result = await call();
    this.#calls += 1;
    this.log.push(name);
    if (this.crashAfter !== undefined && this.#calls >= this.crashAfter) {
      this.#crashed = true;
      throw new SimulatedCrash(this.#calls, name);
    }
    return result;
  }
}

/**
 * Wraps every function-valued property of `port` so each call goes through `injector.run`. Use for the
 * operator's ports to the outside world (the Workstations gateway, the Kubernetes writer).
 */
export function withCrashInjection<T extends object>(port: T, label: string, injector: CrashInjector): T {
  return new Proxy(port, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) =>
        injector.run(`${label}.${String(property)}`, () => Promise.resolve(value.apply(target, args)));
    },
  });
}

export function isSimulatedCrash(error: unknown): error is SimulatedCrash {
  return error instanceof SimulatedCrash;
}
