/** Whether `T` is `any`, which would make every type check pass. */
export type IsAny<T> = 0 extends 1 & T ? true : false;

/** Mutual assignability, with `any` never equal to anything: "the same shape" for two type sources. */
export type Same<A, B> =
  IsAny<A> extends true
    ? false
    : IsAny<B> extends true
      ? false
      : [A] extends [B]
        ? [B] extends [A]
          ? true
          : false
        : false;
