// @ts-check
/*
 * Forms that send to the API: their values, the API's message per field next to its input, a message for the whole
 * form, busy while sending. Used by the merchant admin pages and the webhooks page.
 */
import { errorText, fieldErrors, focusById } from './core.js';

/**
 * A form's state.
 * @template {Record<string, unknown>} V
 * @param {V} values
 */
export const form = (values) => ({
  values,
  /** @type {Record<string, string>} */
  errors: {},
  error: '',
  busy: false,
});

/**
 * Sends a form: on a validation error, the API's per-field messages go next to the inputs and the first bad input
 * gets the focus; any other error is shown for the whole form.
 * @template T
 * @param {{ errors: Record<string, string>, error: string, busy: boolean }} f
 * @param {() => Promise<T>} call
 * @param {Record<string, string>} inputIds API field name → id of its input, in the order of the form
 * @returns {Promise<T | undefined>}
 */
export async function send(f, call, inputIds) {
  f.errors = {};
  f.error = '';
  f.busy = true;
  try {
    return await call();
  } catch (err) {
    const fields = fieldErrors(err);
    const known = Object.keys(inputIds).filter((name) => fields[name]);
    f.errors = fields;
    // A field the form has no input for (or no field at all): the message goes to the whole form.
    if (!known.length || Object.keys(fields).some((name) => !(name in inputIds))) f.error = errorText(err);
    const first = known[0];
    if (first) focusById(inputIds[first]);
    return undefined;
  } finally {
    f.busy = false;
  }
}

/** `aria-invalid` of an input from its form's errors. @param {{ errors: Record<string, string> }} f @param {string} name */
export const invalid = (f, name) => (f.errors[name] ? 'true' : 'false');
