/**
 * Thrown at synth time when props are invalid.
 *
 * Constructs collect every problem they find and throw once, so a user fixes
 * all of them in one round instead of one per `cdktf synth`.
 */
export class ValidationError extends Error {
  /** Each problem, a sentence naming the prop, the value, what is allowed and the fix. */
  public readonly problems: readonly string[];

  constructor(scope: string, problems: readonly string[]) {
    super(
      problems.length === 1
        ? `${scope}: ${problems[0]}`
        : `${scope}: ${problems.length} problems:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
    this.name = "ValidationError";
    this.problems = problems;
  }
}

/** Collects problems and throws them together as one {@link ValidationError}. */
export class Problems {
  private readonly list: string[] = [];

  /** Records a problem when `condition` is true. */
  public when(condition: boolean, message: string | (() => string)): void {
    if (condition) this.list.push(typeof message === "string" ? message : message());
  }

  /** Records a problem. */
  public add(message: string): void {
    this.list.push(message);
  }

  /** True when nothing has been recorded. */
  public get empty(): boolean {
    return this.list.length === 0;
  }

  /** How many problems have been recorded. */
  public get count(): number {
    return this.list.length;
  }

  /** Throws a {@link ValidationError} naming `scope` if any problem was recorded. */
  public throwIfAny(scope: string): void {
    if (this.list.length > 0) throw new ValidationError(scope, this.list);
  }
}
