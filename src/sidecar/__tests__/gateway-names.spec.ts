import {
  cleanDisplayName,
  defaultDisplayName,
  DisplayNames,
  MAX_DISPLAY_NAME_LENGTH
} from '../gateway/names';

const A = '3f2a1b2c9d8e7f6a5b4c3d2e1f0a9b8c';
const B = 'aa11bb22cc33dd44ee55ff6600112233';

describe('DisplayNames', () => {
  it('defaults to the first 8 characters of the id', () => {
    const names = new DisplayNames();
    expect(defaultDisplayName(A)).toBe('3f2a1b2c');
    expect(names.get('central', A)).toBe('3f2a1b2c');
    expect(names.custom('central', A)).toBeUndefined();
  });

  it('keeps names per site and cluster, cleaned', () => {
    const names = new DisplayNames();
    expect(names.set('central', A, '  flood\n run ')).toBe('flood run');
    expect(names.get('central', A)).toBe('flood run');
    expect(names.get('lumi', A)).toBe('3f2a1b2c');
    expect(cleanDisplayName('x'.repeat(100))).toHaveLength(
      MAX_DISPLAY_NAME_LENGTH
    );
  });

  it('goes back to the default for an empty name', () => {
    const names = new DisplayNames();
    names.set('central', A, 'flood run');
    expect(names.set('central', A, '   ')).toBe('3f2a1b2c');
    expect(names.toJSON()).toEqual({});
    names.set('central', A, 'x');
    names.set('central', A, undefined);
    expect(names.custom('central', A)).toBeUndefined();
  });

  it('round-trips through JSON and skips damaged entries', () => {
    const names = new DisplayNames();
    names.set('central', A, 'flood run');
    names.set('lumi', B, 'rain');
    const document = JSON.parse(JSON.stringify(names));
    expect(document).toEqual({
      central: { [A]: 'flood run' },
      lumi: { [B]: 'rain' }
    });
    const back = DisplayNames.fromJSON(document);
    expect(back.get('lumi', B)).toBe('rain');
    const damaged = DisplayNames.fromJSON({
      central: { [A]: 3, [B]: ' ok ' },
      lumi: 'x'
    });
    expect(damaged.toJSON()).toEqual({ central: { [B]: 'ok' } });
    expect(DisplayNames.fromJSON(null).toJSON()).toEqual({});
  });

  it('prunes clusters the gateway forgot and tells listeners about changes', () => {
    const names = new DisplayNames();
    const changes = jest.fn();
    names.onChange(changes);
    names.set('central', A, 'one');
    names.set('central', B, 'two');
    names.set('central', B, 'two'); // no change
    expect(changes).toHaveBeenCalledTimes(2);
    names.prune('central', [B]);
    expect(names.toJSON()).toEqual({ central: { [B]: 'two' } });
    names.prune('central', []);
    expect(names.toJSON()).toEqual({});
    expect(changes).toHaveBeenCalledTimes(4);
    names.delete('central', A);
    expect(changes).toHaveBeenCalledTimes(4);
  });
});
