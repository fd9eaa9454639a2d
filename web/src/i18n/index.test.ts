import { describe, expect, it } from 'vitest';
import { en } from './en';
import {
  STORAGE_KEY,
  createTranslator,
  loadLocale,
  localeFromLanguage,
  pickLocale,
  saveLocale,
  translate,
  type StorageLike,
} from './index';
import { ptBR } from './pt-BR';

class MemoryStorage implements StorageLike {
  readonly data = new Map<string, string>();
  getItem(key: string): string | null {
    return this.data.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.data.set(key, value);
  }
}

describe('locale selection', () => {
  it.each([
    ['pt-BR', 'pt-BR'],
    ['pt', 'pt-BR'],
    ['pt-PT', 'pt-BR'],
    ['PT_br', 'pt-BR'],
    ['en-US', 'en'],
    ['es-ES', 'en'],
    ['ptx', 'en'],
    ['', 'en'],
    [undefined, 'en'],
  ])('navigator.language %s -> %s', (tag, expected) => {
    expect(localeFromLanguage(tag)).toBe(expected);
  });

  it('prefers a valid stored choice over the browser language', () => {
    expect(pickLocale('en', 'pt-BR')).toBe('en');
    expect(pickLocale('pt-BR', 'en-US')).toBe('pt-BR');
  });

  it('ignores an invalid stored value', () => {
    expect(pickLocale('klingon', 'pt-BR')).toBe('pt-BR');
    expect(pickLocale(null, 'de')).toBe('en');
  });

  it('round-trips through storage', () => {
    const storage = new MemoryStorage();
    expect(loadLocale(storage, 'en-GB')).toBe('en');
    saveLocale(storage, 'pt-BR');
    expect(storage.data.get(STORAGE_KEY)).toBe('pt-BR');
    expect(loadLocale(storage, 'en-GB')).toBe('pt-BR');
  });

  it('survives storage that throws', () => {
    const broken: StorageLike = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    expect(loadLocale(broken, 'pt-BR')).toBe('pt-BR');
    expect(() => saveLocale(broken, 'en')).not.toThrow();
    expect(loadLocale(undefined, 'en')).toBe('en');
  });
});

describe('translate', () => {
  it('returns texts in the chosen language', () => {
    expect(translate('en', 'statusOpen')).toBe('Connected');
    expect(translate('pt-BR', 'statusOpen')).toBe('Conectado');
    expect(translate('pt-BR', 'appTitle')).toBe('Servidor de Broadcast WebSocket');
    expect(createTranslator('pt-BR')('send')).toBe('Enviar evento');
  });

  it('fills placeholders and leaves unknown ones visible', () => {
    expect(translate('en', 'reconnectIn', { seconds: 7 })).toBe('Reconnecting in 7 s');
    expect(translate('pt-BR', 'reconnectIn', { seconds: 7 })).toBe('Reconectando em 7 s');
    expect(translate('en', 'reconnectIn')).toBe('Reconnecting in {seconds} s');
  });

  it('does not interpret special replacement patterns in parameters', () => {
    expect(translate('en', 'errorFromServer', { reason: "$& $' <b>" })).toBe("Server error: $& $' <b>");
  });

  it('pt-BR defines every key with a non-empty text', () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(ptBR[key], key).toBeTruthy();
    }
    expect(Object.keys(ptBR).sort()).toEqual(Object.keys(en).sort());
  });
});
