import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { catalogs, LOCALES } from '../src/i18n';
import { suite } from './helpers';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('locale files', () => {
  const en = catalogs.en;

  for (const locale of LOCALES) {
    it(`${locale}.json has exactly the English keys, and the same {placeholders}`, () => {
      expect(Object.keys(catalogs[locale]).sort()).to.deep.equal(Object.keys(en).sort());
      for (const [key, text] of Object.entries(catalogs[locale])) {
        if (text === null) continue;
        expect(text, key).to.be.a('string').and.not.equal('');
        expect(placeholders(text), key).to.deep.equal(placeholders(en[key]!));
      }
    });
  }

  it('English, French and German have no missing (null) text; only Luxembourgish may fall back', () => {
    for (const locale of ['en', 'fr', 'de'] as const) {
      expect(
        Object.entries(catalogs[locale])
          .filter(([, text]) => text === null)
          .map(([key]) => key),
        locale,
      ).to.deep.equal([]);
    }
  });

  it('every key the pages use literally exists in en.json', () => {
    const web = path.join(__dirname, '..', 'src', 'web');
    const files = ['views', 'views/partials', 'public'].flatMap((dir) =>
      fs
        .readdirSync(path.join(web, dir))
        .filter((f) => /\.(html|js)$/.test(f))
        .map((f) => path.join(web, dir, f)),
    );
    const used = new Set(
      files.flatMap((f) => [...fs.readFileSync(f, 'utf8').matchAll(/\bt\('([\w.]*\w)'[,)]/g)].map((m) => m[1])),
    );
    expect(used.size).to.be.greaterThan(50);
    expect([...used].filter((key) => !(key in en))).to.deep.equal([]);
  });

  describe('GET /i18n/{locale}.json', () => {
    const t = suite();

    it('serves the resolved catalog: Luxembourgish gaps filled from German, then English', async () => {
      const lb = (await t.http.get('/i18n/lb.json').expect(200)).body;
      expect(Object.keys(lb).sort()).to.deep.equal(Object.keys(en).sort());
      const untranslated = Object.keys(catalogs.lb).find((key) => catalogs.lb[key] === null)!;
      expect(untranslated, 'lb has an untranslated key to check').to.be.a('string');
      expect(lb[untranslated]).to.equal(catalogs.de[untranslated]);
      expect(lb['page.devices.title']).to.equal(catalogs.lb['page.devices.title']);
      expect((await t.http.get('/i18n/fr.json').expect(200)).body['page.devices.title']).to.equal('Terminaux');
      await t.http.get('/i18n/es.json').expect(404);
    });
  });
});
