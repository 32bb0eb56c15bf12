import { Type } from 'typebox';

/** The one error shape of every API error. */
export const ErrorSchema = Type.Object({
  error: Type.Object(
    { code: Type.String(), message: Type.String(), field: Type.Optional(Type.String()) },
    { additionalProperties: true },
  ),
});
