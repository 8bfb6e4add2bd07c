import { createClusterRequest } from '../http/requests';

/** The body as JSON.parse gives it: `__proto__` is an own key there. */
const parsed = (text: string): unknown => JSON.parse(text);

describe('cluster option names', () => {
  it('accepts the names gateways use', () => {
    const body = parsed('{"options": {"worker_cores": 2, "_private": true}}');
    expect(createClusterRequest.parse(body)).toEqual({
      options: { worker_cores: 2, _private: true }
    });
  });

  it.each([
    '{"options": {"__proto__": {"worker_cores": 99}}}',
    '{"options": {"constructor": 1}}',
    '{"options": {"prototype": 1}}',
    '{"options": {"a.b": 1}}',
    '{"options": {"": 1}}',
    '{"options": {"<b>x</b>": 1}}',
    `{"options": {"${'x'.repeat(65)}": 1}}`,
    '{"options": [1, 2]}',
    '{"options": null}',
    '{"options": "worker_cores=2"}'
  ])('refuses %s instead of dropping the key', text => {
    const checked = createClusterRequest.safeParse(parsed(text));
    expect(checked.success).toBe(false);
  });

  it('names the refused key in the error', () => {
    const checked = createClusterRequest.safeParse(
      parsed('{"options": {"__proto__": {}}}')
    );
    expect(checked.error?.issues[0]?.path).toEqual(['options', '__proto__']);
    expect(checked.error?.issues[0]?.message).toBe(
      'this name is not an option'
    );
  });
});
