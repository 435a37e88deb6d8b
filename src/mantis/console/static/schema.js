/* A small JSON Schema (2020-12) checker for the plan editor: the keywords plan.schema.json uses, with
   errors at paths written as the server writes them (`steps[3].then_target`). The server's own check
   still decides on submit; this one only tells you sooner. */
"use strict";

const MantisSchema = (() => {
  const join = (path, key) => (typeof key === "number" ? `${path}[${key}]` : path ? `${path}.${key}` : key);

  function typeOf(value) {
    if (value === null) return "null";
    if (Array.isArray(value)) return "array";
    if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
    return typeof value;
  }

  function typeMatches(type, value) {
    const actual = typeOf(value);
    return type === actual || (type === "number" && actual === "integer");
  }

  function validate(root, document) {
    const lookup = (ref) => ref.replace(/^#\//, "").split("/").reduce((node, part) => node && node[part], root);

    function check(schema, value, path) {
      if (schema === true || schema === undefined) return [];
      if (schema === false) return [{ path, message: "is not allowed here" }];
      const errors = [];
      if (schema.$ref) errors.push(...check(lookup(schema.$ref), value, path));
      if (schema.type) {
        const types = [].concat(schema.type);
        if (!types.some((t) => typeMatches(t, value))) {
          return [...errors, { path, message: `should be ${types.join(" or ")}, not ${typeOf(value)}` }];
        }
      }
      if ("const" in schema && JSON.stringify(schema.const) !== JSON.stringify(value)) {
        errors.push({ path, message: `should be ${JSON.stringify(schema.const)}` });
      }
      if (schema.enum && !schema.enum.some((v) => JSON.stringify(v) === JSON.stringify(value))) {
        errors.push({ path, message: `should be one of ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}` });
      }
      if (typeof value === "string") {
        if (schema.minLength !== undefined && [...value].length < schema.minLength) errors.push({ path, message: `should have at least ${schema.minLength} characters` });
        if (schema.maxLength !== undefined && [...value].length > schema.maxLength) errors.push({ path, message: `should have at most ${schema.maxLength} characters` });
        if (schema.pattern && !new RegExp(schema.pattern, "u").test(value)) errors.push({ path, message: `should match ${schema.pattern}` });
      }
      if (typeof value === "number") {
        if (schema.minimum !== undefined && value < schema.minimum) errors.push({ path, message: `should be ≥ ${schema.minimum}` });
        if (schema.maximum !== undefined && value > schema.maximum) errors.push({ path, message: `should be ≤ ${schema.maximum}` });
        if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) errors.push({ path, message: `should be > ${schema.exclusiveMinimum}` });
        if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) errors.push({ path, message: `should be < ${schema.exclusiveMaximum}` });
      }
      if (Array.isArray(value)) {
        if (schema.minItems !== undefined && value.length < schema.minItems) errors.push({ path, message: `should have at least ${schema.minItems} items` });
        if (schema.maxItems !== undefined && value.length > schema.maxItems) errors.push({ path, message: `should have at most ${schema.maxItems} items` });
        const prefix = schema.prefixItems || [];
        value.forEach((item, i) => errors.push(...check(i < prefix.length ? prefix[i] : schema.items, item, join(path, i))));
      }
      if (typeOf(value) === "object") {
        for (const name of schema.required || []) {
          if (!(name in value)) errors.push({ path: join(path, name), message: "Field required" });
        }
        const properties = schema.properties || {};
        for (const [name, item] of Object.entries(value)) {
          if (name in properties) errors.push(...check(properties[name], item, join(path, name)));
          else if (schema.additionalProperties === false) errors.push({ path: join(path, name), message: "Extra inputs are not permitted" });
          else if (typeof schema.additionalProperties === "object") errors.push(...check(schema.additionalProperties, item, join(path, name)));
        }
      }
      for (const part of schema.allOf || []) errors.push(...check(part, value, path));
      const options = schema.oneOf || schema.anyOf;
      if (options) errors.push(...union(schema, options, value, path));
      return errors;
    }

    /* A value meets a union when one branch takes it; else the branch it came closest to is blamed
       (picked by the discriminator when there is one). */
    function union(schema, options, value, path) {
      const tag = schema.discriminator;
      if (tag && typeOf(value) === "object" && tag.mapping && value[tag.propertyName] in tag.mapping) {
        return check({ $ref: tag.mapping[value[tag.propertyName]] }, value, path);
      }
      let best = null;
      for (const option of options) {
        const errors = check(option, value, path);
        if (errors.length === 0) return [];
        const typeError = errors.length === 1 && errors[0].path === path && errors[0].message.startsWith("should be");
        const score = (typeError ? 1000 : 0) + errors.length;
        if (best === null || score < best.score) best = { score, errors };
      }
      return best ? best.errors : [];
    }

    return check(root, document, "");
  }

  return { validate };
})();
