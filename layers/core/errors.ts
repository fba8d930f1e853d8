import type { z } from "zod";

export interface FieldError {
  field: string;
  message: string;
}

/** An error the caller caused or can act on; `status` is the HTTP status the API answers with. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: FieldError[],
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const badRequest = (m: string) => new AppError(400, m);
export const notFound = (m: string) => new AppError(404, m);
export const conflict = (m: string) => new AppError(409, m);
export const tooLarge = (m: string) => new AppError(413, m);

/** 422 listing every invalid field, paths joined as `items[3].subject`. */
export function invalid(error: z.ZodError, where: string): AppError {
  const errors = error.issues.map((i) => ({
    field: [where, ...i.path].reduce<string>(
      (acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
      "",
    ),
    message: i.message,
  }));
  const detail = errors.map((e) => `${e.field || where}: ${e.message}`).join("; ");
  return new AppError(422, `Invalid ${where}: ${detail}`, errors);
}

/** Validates `value` with `schema`, throwing a 422 that names the offending fields. */
export function parseOr422<T extends z.ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw invalid(result.error, where);
  return result.data;
}
