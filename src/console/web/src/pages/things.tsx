/**
 * @module console/web/pages/things
 * The things, a page at a time (ListThings' nextToken), filtered as ListThings filters (attribute,
 * thing type) or by a part of the name. ListThings cannot search names, so a name search reads the
 * listing through (up to MAX_SCAN things) and pages the matches here.
 */
import { useState } from 'preact/hooks';
import { iot, type ThingSummary } from '../api';
import { ErrorNote, Field, Loading, Page, Pager, Table, useAsync } from '../components';
import { href } from '../router';

const PAGE = 25;
const MAX_SCAN = 5_000;

interface Search {
  name: string;
  attributeName: string;
  attributeValue: string;
  thingTypeName: string;
}

const EMPTY: Search = { name: '', attributeName: '', attributeValue: '', thingTypeName: '' };

async function loadPage(search: Search, tokens: Array<string | undefined>, page: number): Promise<{ things: ThingSummary[]; hasNext: boolean; next?: string; scanned?: number }> {
  const filters = {
    attributeName: search.attributeName || undefined,
    attributeValue: search.attributeValue || undefined,
    thingTypeName: search.thingTypeName || undefined,
  };
  if (search.name === '') {
    const out = await iot.listThings({ ...filters, maxResults: PAGE, nextToken: tokens[page] });
    return { things: out.things, hasNext: out.nextToken !== undefined, ...(out.nextToken ? { next: out.nextToken } : {}) };
  }
  const needle = search.name.toLowerCase();
  const matches: ThingSummary[] = [];
  let nextToken: string | undefined;
  let scanned = 0;
  do {
    const out = await iot.listThings({ ...filters, maxResults: 250, nextToken });
    scanned += out.things.length;
    matches.push(...out.things.filter((t) => t.thingName.toLowerCase().includes(needle)));
    nextToken = out.nextToken;
  } while (nextToken !== undefined && scanned < MAX_SCAN);
  return { things: matches.slice(page * PAGE, (page + 1) * PAGE), hasNext: matches.length > (page + 1) * PAGE, scanned };
}

export function ThingsPage() {
  const [draft, setDraft] = useState<Search>(EMPTY);
  const [search, setSearch] = useState<Search>(EMPTY);
  const [page, setPage] = useState(0);
  const [tokens, setTokens] = useState<Array<string | undefined>>([undefined]);
  const list = useAsync(() => loadPage(search, tokens, page), [search, page]);
  const set = (key: keyof Search) => (e: Event) => setDraft({ ...draft, [key]: (e.currentTarget as HTMLInputElement).value });
  const submit = (e: Event): void => {
    e.preventDefault();
    setTokens([undefined]);
    setPage(0);
    setSearch({ ...draft });
  };
  const next = (): void => {
    if (list.data?.next !== undefined) setTokens((t) => { const copy = [...t]; copy[page + 1] = list.data!.next; return copy; });
    setPage(page + 1);
  };
  return (
    <Page title="Things" actions={<a class="button primary" href={href('things', 'new')}>Create thing</a>}>
      <form class="filters" role="search" aria-label="Search things" onSubmit={submit}>
        <Field label="Thing name contains" id="thing-search"><input id="thing-search" type="search" value={draft.name} onInput={set('name')} /></Field>
        <Field label="Attribute name" id="attr-name"><input id="attr-name" value={draft.attributeName} onInput={set('attributeName')} /></Field>
        <Field label="Attribute value" id="attr-value"><input id="attr-value" value={draft.attributeValue} onInput={set('attributeValue')} /></Field>
        <Field label="Thing type" id="thing-type"><input id="thing-type" value={draft.thingTypeName} onInput={set('thingTypeName')} /></Field>
        <button type="submit">Search</button>
      </form>
      <ErrorNote error={list.error} />
      {list.loading && <Loading />}
      {list.data && (
        <>
          {list.data.scanned !== undefined && list.data.scanned >= MAX_SCAN && <p class="hint">Searched the first {MAX_SCAN} things only; narrow the search with an attribute or a type.</p>}
          <Table label="Things">
            <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Attributes</th><th scope="col">Version</th></tr></thead>
            <tbody>
              {list.data.things.length === 0 && <tr><td colSpan={4}>No things.</td></tr>}
              {list.data.things.map((t) => (
                <tr key={t.thingName}>
                  <td><a href={href('things', t.thingName)}>{t.thingName}</a></td>
                  <td>{t.thingTypeName ?? '-'}</td>
                  <td>{Object.entries(t.attributes ?? {}).map(([k, v]) => `${k}=${v}`).join(', ') || '-'}</td>
                  <td>{t.version ?? '-'}</td>
                </tr>
              ))}
            </tbody>
          </Table>
          <Pager page={page} hasNext={list.data.hasNext} onPrevious={() => setPage(Math.max(0, page - 1))} onNext={next} />
        </>
      )}
    </Page>
  );
}
