/**
 * The OpenAPI document is complete: every operation (including ones added later) has a summary,
 * a description, tags, a success response with a schema, and an example that validates against
 * its schema; the webhooks section covers every event. /docs renders it in a real browser.
 */
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../events/payload.ts';
import { startTestEngage, type TestEngage } from '../../../test/harness.ts';
import { browserLaunchOptions } from '../../../../web/test/browser.ts';

let engage: TestEngage;
let doc: any;
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

beforeAll(async () => {
  engage = await startTestEngage({ worker: false });
  const res = await fetch(`${engage.url}/api/openapi.json`);
  expect(res.status).toBe(200);
  doc = await res.json();
});
afterAll(() => engage?.close());

function operations(): [string, any][] {
  const out: [string, any][] = [];
  for (const [path, item] of Object.entries(doc.paths) as [string, any][]) {
    for (const m of METHODS) if (item[m]) out.push([`${m.toUpperCase()} ${path}`, item[m]]);
  }
  return out;
}

/** Validates an example against its schema, resolving `$ref`s to the document's components. */
function validator() {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats.default(ajv);
  ajv.addSchema({ $id: 'doc', components: doc.components ?? {} });
  return (schema: any, example: unknown): string[] => {
    const json = JSON.stringify(schema).replaceAll('"$ref":"#/', '"$ref":"doc#/');
    const validate = ajv.compile(JSON.parse(json));
    return validate(example) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  };
}

describe('/api/openapi.json', () => {
  it('is OpenAPI 3.1 with many operations', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(operations().length).toBeGreaterThan(30);
  });

  it('documents every operation: summary, description, tags, success response schema and example', () => {
    const problems: string[] = [];
    for (const [name, op] of operations()) {
      if (!op.summary?.trim()) problems.push(`${name}: no summary`);
      if (!op.description?.trim()) problems.push(`${name}: no description`);
      if (!op.tags?.length) problems.push(`${name}: no tags`);
      const success = Object.entries(op.responses ?? {}).filter(([s]) => /^2/.test(s)) as [string, any][];
      if (success.length === 0) {
        problems.push(`${name}: no success response`);
        continue;
      }
      const bodies = success.filter(([s]) => s !== '204');
      const requestExample = Object.values(op.requestBody?.content ?? {}).some((m: any) => m.example !== undefined || m.examples);
      const paramExample = (op.parameters ?? []).some((p: any) => p.example !== undefined);
      if (bodies.length === 0) {
        // No content to show (204): the example is the request.
        if (!requestExample && !paramExample && (op.parameters?.length || op.requestBody)) problems.push(`${name}: no request or parameter example`);
        continue;
      }
      for (const [status, response] of bodies) {
        const media = Object.values(response.content ?? {}) as any[];
        if (media.length === 0) problems.push(`${name} ${status}: no content schema`);
        for (const m of media) {
          if (!m.schema) problems.push(`${name} ${status}: no schema`);
          if (m.example === undefined && !m.examples) problems.push(`${name} ${status}: no example`);
        }
      }
      if (op.requestBody && !requestExample) problems.push(`${name}: no request example`);
    }
    expect(problems).toEqual([]);
  });

  it('every JSON example validates against its schema', () => {
    const check = validator();
    const problems: string[] = [];
    for (const [name, op] of operations()) {
      const media: [string, any][] = [];
      for (const [status, r] of Object.entries(op.responses ?? {}) as [string, any][]) {
        if (r.content?.['application/json']) media.push([`${status}`, r.content['application/json']]);
      }
      if (op.requestBody?.content?.['application/json']) media.push(['request', op.requestBody.content['application/json']]);
      for (const [where, m] of media) {
        if (m.example === undefined || !m.schema) continue;
        const errors = check(m.schema, m.example);
        if (errors.length) problems.push(`${name} ${where}: ${errors.slice(0, 3).join('; ')}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('describes every webhook event with the payload schema and a valid example', () => {
    expect(Object.keys(doc.webhooks)).toEqual([...EVENT_TYPES]);
    const check = validator();
    for (const type of EVENT_TYPES) {
      const media = doc.webhooks[type].post.requestBody.content['application/json'];
      expect(Object.keys(media.schema.properties)).toEqual(['eventType', 'data', 'endpoints']);
      expect(media.example.eventType).toBe(type);
      expect(check(media.schema, media.example)).toEqual([]);
      expect(check(media.schema, { ...media.example, eventType: type === 'OptIn' ? 'OptOut' : 'OptIn' })).not.toEqual([]);
    }
  });
});

describe('/docs', () => {
  it('is a self-contained page (no external resources) with a strict CSP', async () => {
    const res = await fetch(`${engage.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'nonce-/);
    const html = await res.text();
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
  });

  it('renders every operation and webhook in a real browser', async () => {
    const browser = await chromium.launch(await browserLaunchOptions());
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      await page.goto(`${engage.url}/docs`);
      await page.waitForSelector('section.op');
      const sections = await page.locator('section.op').count();
      expect(sections).toBe(operations().length + EVENT_TYPES.length);
      const send = page.locator('section.op').filter({ has: page.locator('h2', { hasText: /^POST\/api\/public\/engage\/conversation\/send$/ }) });
      await expect(send.textContent()).resolves.toContain('"message": "Hello, how can we help you today?"');
      await page.fill('#filter', 'disposition');
      const visible = await page.locator('#toc a:visible').allTextContents();
      expect(visible.length).toBeGreaterThan(0);
      expect(visible.every((t) => /disposition/i.test(t) || t.length > 0)).toBe(true);
      expect(visible.length).toBeLessThan(sections);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
