import test from 'ava';
import { prefersHtml } from '@session-policy/core/http';

const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8';

test('browser navigations want HTML', (t) => {
  t.true(prefersHtml(BROWSER));
  t.true(prefersHtml('text/html'));
  t.true(prefersHtml('application/xhtml+xml'));
  t.true(prefersHtml(BROWSER, 'application/x-www-form-urlencoded'));
});

test('API clients, wildcards and JSON senders get JSON', (t) => {
  t.false(prefersHtml(undefined));
  t.false(prefersHtml(''));
  t.false(prefersHtml('*/*'));
  t.false(prefersHtml('application/json'));
  t.false(prefersHtml('application/json, text/plain, */*'));
  t.false(prefersHtml(BROWSER, 'application/json'), 'a JSON body is an API call');
});

test('quality values decide between HTML and JSON', (t) => {
  t.true(prefersHtml('application/json;q=0.5, text/html'));
  t.false(prefersHtml('text/html;q=0.5, application/json'));
  t.false(prefersHtml('text/html, application/json'), 'a tie goes to JSON');
  t.false(prefersHtml('text/html;q=0'));
  t.false(prefersHtml('text/html;q=garbage'));
  t.true(prefersHtml(' TEXT/HTML ; q=0.9 '));
});
