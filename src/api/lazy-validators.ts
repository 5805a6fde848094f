import AjvCompiler from "@fastify/ajv-compiler";

type ValidatorFactory = AjvCompiler.ValidatorFactory;
/** A compiled schema as fastify calls it: a check that leaves Ajv's `errors` on itself. */
type Validate = ((data: unknown) => unknown) & { errors?: unknown };
type Compile = (route: unknown) => Validate;
type Setup = (externalSchemas: unknown, options: unknown) => Compile;

/**
 * Fastify's own validator factory (@fastify/ajv-compiler), made lazy: Ajv is
 * set up, and a route's schema compiled, when a request first needs them, not
 * when the server starts. Ajv's code generation for every route was the
 * largest part of a node's start (about a third of it, measured with
 * --cpu-prof), paid even by a node that never gets a request on most routes.
 * Validation itself is unchanged: the same Ajv, the same options, the same
 * shared schemas; fastify reads `errors` from the function it calls, so the
 * wrapper passes them on. A schema Ajv refuses now fails on its route's first
 * request instead of at start (the API tests request every route).
 */
export function lazyValidatorFactory(): ValidatorFactory {
  const eager = AjvCompiler() as unknown as Setup;
  const factory: Setup = (externalSchemas, options) => {
    let compile: Compile | null = null;
    return (route) => {
      let validate: Validate | null = null;
      const lazy = ((data: unknown) => {
        compile ??= eager(externalSchemas, options);
        validate ??= compile(route);
        const valid = validate(data);
        lazy.errors = validate.errors;
        return valid;
      }) as Validate;
      return lazy;
    };
  };
  return factory as unknown as ValidatorFactory;
}
