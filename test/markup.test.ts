import fc from 'fast-check'
import { parse } from '@rocket.chat/message-parser'
import t from 'tap'
import { escapeHtml, excerpt, loadMarkupParser, markupTree, maxHighlightedCode, maxParsedLength, maxTypesetFormula, maxTypesetOutput, renderMarkup, safeHref } from '../lib/render/markup.ts'

t.test('the parser loads on first use: markup before it is a mistake, said so', async (t) => {
  const fresh = await t.mockImport<typeof import('../lib/render/markup.ts')>('../lib/render/markup.ts')
  t.equal(fresh.markupTree('plain words', undefined), null, 'plain text needs no parser')
  t.throws(() => fresh.markupTree('*bold*', undefined), { message: 'markupTree() before loadMarkupParser(): the message parser is not loaded' })
  await fresh.loadMarkupParser()
  t.same(fresh.markupTree('*bold*', undefined), parse('*bold*', { emoticons: true, colors: true, katex: { dollarSyntax: true, parenthesisSyntax: true } }))
})

await loadMarkupParser()

t.test('a text too long for the shortcut\'s regular expression is shown as it is', async (t) => {
  const quotes = '"'.repeat(16 << 20)
  t.equal(markupTree(quotes, undefined), null)
  t.equal(renderMarkup(quotes, undefined, 'text', context), quotes)
})

t.test('a text longer than maxParsedLength is shown as it is, unparsed; one as long is parsed', async (t) => {
  const longest = '*a* '.repeat(maxParsedLength / 4)
  t.equal(markupTree(longest, undefined)?.length, 1, 'one paragraph of bold words')
  const longer = `${longest}<b>`
  t.equal(markupTree(longer, undefined), null)
  t.equal(renderMarkup(`${longer}\nnext`, undefined, 'page', context), `<p class="md-p">${escapeHtml(longer)}<br>next</p>`)
})

const context = { mentionName: () => undefined, timestamp: (instant: Date) => instant.toISOString() }

t.test('text the shortcut skips renders exactly as the parser\'s tree would', async (t) => {
  const alphabet = fc.constantFrom('a', 'B', 'é', 'ж', ' ', '\u00a0', ',', '!', '?', '\'', '"', '’', '.', '1', '9', 'D', 'P', 'O', 'L', 'X', 'x', 'b', 'y')
  let skipped = 0
  fc.assert(fc.property(fc.array(alphabet, { minLength: 1, maxLength: 30 }).map((characters) => characters.join('')), (text) => {
    if (markupTree(text, undefined) !== null) return true
    skipped++
    return renderMarkup(text, undefined, 'page', context) === renderMarkup(text, parse(text, { emoticons: true, colors: true }), 'page', context)
  }), { numRuns: 20_000 })
  t.ok(skipped > 5_000, `${skipped} texts took the shortcut`)
  t.not(markupTree('1. first', undefined), null, 'a list item is not plain')
  t.not(markupTree('see example.com', undefined), null, 'a bare domain is not plain')
  t.not(markupTree('8)', undefined), null, 'an emoticon is not plain')
})

t.test('targets: page classes, mail inline styles, plain text', async (t) => {
  const text = '*bold* and `code`\n> quoted\n- item'
  t.equal(renderMarkup(text, undefined, 'page', context), '<p class="md-p"><strong class="md-bold">bold</strong> and <code class="md-code">code</code></p><blockquote class="md-quote"><p class="md-p">quoted</p></blockquote><ul class="md-list"><li class="md-item">item</li></ul>')
  t.match(renderMarkup(text, undefined, 'mail', context), '<code style="font-family:Menlo,Consolas,monospace;')
  t.equal(renderMarkup(text, undefined, 'text', context), 'bold and code\nquoted\n- item\n')
  t.equal(renderMarkup('', undefined, 'page', context), '')
  t.equal(renderMarkup('a\nb', [{ type: 'MYSTERY', value: [{ type: 'PLAIN_TEXT', value: '<odd>' }] }] as never, 'page', context), '&lt;odd&gt;', 'an unknown node shows its text, escaped')
  t.equal(renderMarkup('```\nx\n```', undefined, 'text', context), 'x')
  t.equal(renderMarkup('<t:0>', [{ type: 'PARAGRAPH', value: [{ type: 'TIMESTAMP', value: { timestamp: '0' } }] }] as never, 'text', context), '1970-01-01T00:00:00.000Z')
  t.equal(renderMarkup('[x](javascript:alert(1))', undefined, 'page', context), '<p class="md-p">x</p>', 'a javascript: link keeps its label only')
  t.equal(renderMarkup('![x](javascript:alert(1))', undefined, 'page', context), '<p class="md-p">x</p>')
  t.equal(renderMarkup('![x](https://a.example/i.png)', undefined, 'text', context), 'x')
  t.equal(renderMarkup('color:#11223344', undefined, 'page', context), '<p class="md-p"><code class="md-code">#11223344</code></p>', 'a colour with alpha keeps it')
  t.equal(renderMarkup('| a |\n|---|\n| 1 |', undefined, 'text', context), 'a\n1')
  t.equal(renderMarkup('ok :+1: and :custom_one:', undefined, 'text', context), 'ok 👍 and :custom_one:')
  t.equal(renderMarkup('x', [{ type: 'CODE', language: 'x" onclick="y', value: [{ type: 'CODE_LINE', value: { type: 'PLAIN_TEXT', value: 'x' } }] }] as never, 'page', context), '<pre class="md-pre"><code class="code">x</code></pre>', 'a language that is no class name is left out')
  t.equal(renderMarkup('😀', [{ type: 'PARAGRAPH', value: [{ type: 'EMOJI', value: undefined, unicode: '😀' }] }] as never, 'page', context), '<p class="md-p">😀</p>')
  t.equal(renderMarkup('x', [{ type: 'PARAGRAPH', value: [{ type: 'LINK', value: { src: { type: 'PLAIN_TEXT', value: 'https://a.example' }, label: { type: 'PLAIN_TEXT', value: ' ' } } }] }] as never, 'page', context), '<p class="md-p"><a class="md-link-bare" href="https://a.example" rel="noopener noreferrer nofollow">https://a.example</a></p>', 'a blank label shows the address')
  t.equal(renderMarkup('x', [{ type: 'HEADING', value: [] }, { type: 'LIST_ITEM', value: [], number: 1e300 }, { type: 'QUOTE', value: [] }] as never, 'page', context),
    '<p class="md-heading" data-level="1"></p><li class="md-item"></li><blockquote class="md-quote"></blockquote>', 'empty nodes render empty')
})

t.test('spoilers stay hidden in every target; tables have a head and a body, aligned, in a box that scrolls', async (t) => {
  const spoiler = 'the end: ||the butler did it||'
  t.equal(renderMarkup(spoiler, undefined, 'page', context), '<p class="md-p">the end: <label class="md-spoiler"><input type="checkbox" class="md-spoiler-toggle"><span class="md-spoiler-label">spoiler</span><span class="md-spoiler-text">the butler did it</span></label></p>')
  t.equal(renderMarkup(spoiler, undefined, 'mail', context), '<p style="margin:0 0 4px;">the end: <span style="color:#6c727a;">[spoiler]</span></p>')
  t.equal(renderMarkup(spoiler, undefined, 'text', context), 'the end: [spoiler]')
  const block = [{ type: 'SPOILER_BLOCK', value: [{ type: 'PARAGRAPH', value: [{ type: 'PLAIN_TEXT', value: 'hidden <b>' }] }] }] as never
  t.equal(renderMarkup('x', block, 'page', context), '<details class="md-spoiler-block"><summary>spoiler</summary><p class="md-p">hidden &lt;b&gt;</p></details>')
  t.equal(renderMarkup('x', block, 'mail', context), '<div style="color:#6c727a;">[spoiler]</div>')
  t.equal(renderMarkup('x', block, 'text', context), '[spoiler]')
  t.equal(renderMarkup('x', block, 'text', context), excerpt('x', block, context), 'a thread\'s excerpt of a spoiler hides it too')

  const table = '| step | time | note |\n|:---|---:|:---:|\n| build | 2300 ms | ok |'
  t.equal(renderMarkup(table, undefined, 'page', context), '<div class="md-table-wrap"><table class="md-table" dir="ltr"><thead><tr>' +
    '<th class="md-cell" data-align="left" dir="auto">step</th><th class="md-cell" data-align="right" dir="auto">time</th><th class="md-cell" data-align="center" dir="auto">note</th></tr></thead><tbody><tr>' +
    '<td class="md-cell" data-align="left" dir="auto">build</td><td class="md-cell" data-align="right" dir="auto">2300 ms</td><td class="md-cell" data-align="center" dir="auto">ok</td></tr></tbody></table></div>')
  const cell = 'border:1px solid #cbced1;padding:2px 6px;'
  t.equal(renderMarkup(table, undefined, 'mail', context), '<div style="overflow-x:auto;max-width:100%;"><table style="border-collapse:collapse;margin:4px 0;overflow-wrap:normal;word-break:normal;" dir="ltr"><thead><tr>' +
    `<th style="${cell}" align="left" dir="auto">step</th><th style="${cell}" align="right" dir="auto">time</th><th style="${cell}" align="center" dir="auto">note</th></tr></thead><tbody><tr>` +
    `<td style="${cell}" align="left" dir="auto">build</td><td style="${cell}" align="right" dir="auto">2300 ms</td><td style="${cell}" align="center" dir="auto">ok</td></tr></tbody></table></div>`)
  t.equal(renderMarkup(table, undefined, 'text', context), 'step | time | note\nbuild | 2300 ms | ok')
  const headOnly = [{ type: 'TABLE', value: { header: [{ type: 'TABLE_CELL', align: 'sideways', value: [{ type: 'PLAIN_TEXT', value: 'a' }] }], rows: [] } }] as never
  t.equal(renderMarkup('x', headOnly, 'page', context), '<div class="md-table-wrap"><table class="md-table" dir="ltr"><thead><tr><th class="md-cell" dir="auto">a</th></tr></thead></table></div>', 'no body without rows; an unknown alignment is none')
  t.equal(renderMarkup('- [ ] open\n- [x] done', undefined, 'page', context), '<ul class="md-tasks"><li class="md-item">☐ open</li><li class="md-item">☑ done</li></ul>')
  t.equal(renderMarkup('- [ ] open', undefined, 'mail', context), '<ul style="margin:2px 0;padding-left:4px;list-style:none;"><li>☐ open</li></ul>')
})

t.test('code blocks are highlighted at export time on the page only: known languages, escaped, up to maxHighlightedCode', async (t) => {
  const highlighting = { ...context, budget: { remainingMs: 1000 } }
  const hostile = '```python\nprint("<script>alert(1)</script>") & \'x\'\n```'
  t.equal(renderMarkup(hostile, undefined, 'page', highlighting), '<pre class="md-pre"><code class="code language-python hljs"><span class="hljs-built_in">print</span>(<span class="hljs-string">&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;</span>) &amp; <span class="hljs-string">&#x27;x&#x27;</span></code></pre>')
  t.equal(renderMarkup(hostile, undefined, 'mail', context), '<pre style="font-family:Menlo,Consolas,monospace;font-size:12px;background:#f2f3f5;border-radius:4px;padding:6px 8px;white-space:pre-wrap;margin:4px 0;"><code class="code language-python">print(&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;) &amp; &#x27;x&#x27;</code></pre>', 'mail clients drop classes: plain there')
  t.equal(renderMarkup('```klingon\nqaStaH nuq\n```', undefined, 'page', highlighting), '<pre class="md-pre"><code class="code language-klingon">qaStaH nuq</code></pre>', 'a language highlight.js does not know: plain')
  t.equal(renderMarkup('```\nlet x = 1\n```', undefined, 'page', highlighting), '<pre class="md-pre"><code class="code language-none">let x &#x3D; 1</code></pre>', 'no language (the parser\'s "none"), no guessing')
  const long = `\`\`\`js\n${'let x = 1\n'.repeat(maxHighlightedCode / 10 + 1)}\`\`\``
  t.notMatch(renderMarkup(long, undefined, 'page', highlighting), 'hljs', `a block over ${maxHighlightedCode} characters is shown plain`)
  const atLimit = `\`\`\`js\n${'x'.repeat(maxHighlightedCode)}\n\`\`\``
  t.match(renderMarkup(atLimit, undefined, 'page', highlighting), 'language-js hljs', 'one of exactly that length is highlighted')
  t.notMatch(renderMarkup('```js\nlet x = 1\n```', undefined, 'page', context), 'hljs', 'without a budget (the mail\'s attached page): plain')
  const spent = { ...context, budget: { remainingMs: 0 } }
  t.notMatch(renderMarkup('```js\nlet x = 1\n```', undefined, 'page', spent), 'hljs', 'once the export\'s time for it is spent: plain')
  const budget = { remainingMs: 1000 }
  renderMarkup(`\`\`\`java\n${'$'.repeat(maxHighlightedCode)}\n\`\`\``, undefined, 'page', { ...context, budget })
  t.ok(budget.remainingMs < 1000, `the time a block took is taken from the budget (${(1000 - budget.remainingMs).toFixed(1)} ms for ${maxHighlightedCode} \`$\` as Java)`)
})

t.test('formulas are typeset on the page when the renderer asks (file exports), else TeX source as code', async (t) => {
  let links = 0
  const typesetting = { ...context, typesetMath: () => links++ === 0 ? '<link rel="stylesheet" href="katex/katex.min.css">' : '', budget: { remainingMs: 1000 } }
  const page = renderMarkup('energy: $E = mc^2$ and $a < b$', undefined, 'page', typesetting)
  t.match(page, /^<p class="md-p">energy: <link rel="stylesheet" href="katex\/katex\.min\.css"><span class="md-math"><span class="katex">/, 'the link before the first formula only; each formula in a box that clips')
  t.equal(links, 2)
  t.equal([...page.matchAll(/<span class="katex">/g)].length, 2)
  t.notMatch(page, /<script|javascript:/)
  t.match(renderMarkup('$\\href{javascript:alert(1)}{x}$', undefined, 'page', typesetting), '<mtext>\\href</mtext>', 'untrusted commands are shown, never linked')
  t.notMatch(renderMarkup('$\\href{javascript:alert(1)}{x}$', undefined, 'page', typesetting), /href="/)
  t.equal(renderMarkup('$x^{$', undefined, 'page', typesetting), '<p class="md-p"><code class="md-code">x^{</code></p>', 'what KaTeX cannot read stays source')
  t.equal(renderMarkup('$\\def\\a{\\a\\a}\\a$', undefined, 'page', typesetting), '<p class="md-p"><code class="md-code">\\def\\a{\\a\\a}\\a</code></p>', 'an expansion bomb stays source')
  const long = `$${'x+'.repeat(maxTypesetFormula / 2)}1$`
  t.match(renderMarkup(long, undefined, 'page', typesetting), '<code class="md-code">', `a formula over ${maxTypesetFormula} characters stays source`)
  t.equal(renderMarkup('$E = mc^2$', undefined, 'page', context), '<p class="md-p"><code class="md-code">E &#x3D; mc^2</code></p>', 'without typesetMath (the mail\'s attached page): source')
  t.equal(renderMarkup('$E = mc^2$', undefined, 'mail', typesetting), '<p style="margin:0 0 4px;"><code style="font-family:Menlo,Consolas,monospace;font-size:12px;background:#f2f3f5;border-radius:3px;padding:0 3px;">E &#x3D; mc^2</code></p>')
  t.equal(renderMarkup('$E = mc^2$', undefined, 'text', typesetting), 'E = mc^2')
  const wide = `$\\begin{array}{c}${'&'.repeat(400)}\\end{array}$`
  t.match(renderMarkup(wide, undefined, 'page', typesetting), '<code class="md-code">\\begin{array}', `a formula whose HTML would pass ${maxTypesetOutput} characters stays source`)
  t.match(renderMarkup('$x$', undefined, 'page', { ...typesetting, budget: { remainingMs: 0 } }), '<code class="md-code">x</code>', 'once the export\'s time for it is spent: source')
})

t.test('a stored tree with a node the walker cannot use shows the message\'s own text, escaped, and says so', async (t) => {
  const paragraph = (node: unknown) => [{ type: 'PARAGRAPH', value: [node] }]
  const unusable = {
    'a null block': [null],
    'a null inline': paragraph(null),
    'a quote without blocks': [{ type: 'QUOTE' }],
    'a colour without channels': paragraph({ type: 'COLOR' }),
    'a colour of strings': paragraph({ type: 'COLOR', value: { r: '1', g: 2, b: 3, a: 255 } }),
    'a table whose header is not a list': [{ type: 'TABLE', value: { header: 'x', rows: [] } }],
    'a table row that is not a node': [{ type: 'TABLE', value: { header: [], rows: [null] } }],
    'a code block with a null line': [{ type: 'CODE', value: [null] }],
    'a code block without lines': [{ type: 'CODE', value: null }],
    'a timestamp past year 9999': paragraph({ type: 'TIMESTAMP', value: { timestamp: '8640000000000', format: 'f' } }),
    'a timestamp that is an object': paragraph({ type: 'TIMESTAMP', value: { timestamp: { toString: 1 }, format: 'f' } }),
    'a timestamp that is no number': paragraph({ type: 'TIMESTAMP', value: { timestamp: 'x', format: 'f' } }),
    'a link without a target': paragraph({ type: 'LINK' }),
    'an image without a target': paragraph({ type: 'IMAGE', value: { label: [] } }),
    'a formula that is not text': paragraph({ type: 'KATEX', value: null }),
    'a mention without a name': paragraph({ type: 'MENTION_USER', value: { type: 'PLAIN_TEXT', value: 5 } }),
    'bold without content': paragraph({ type: 'BOLD' })
  }
  for (const [what, tree] of Object.entries(unusable)) {
    let told = 0
    const html = renderMarkup('<b>as</b> written\nline 2', tree as never, 'page', { ...context, unusable: () => { told++ } })
    t.equal(html, '<p class="md-p">&lt;b&gt;as&lt;/b&gt; written<br>line 2</p>', what)
    t.equal(told, 1, `${what}: told once`)
  }
  t.equal(renderMarkup('plain', [{ type: 'QUOTE' }] as never, 'text', context), 'plain', 'the text target falls back the same way, without a listener')
})

t.test('links and images: only http(s) and mailto keep an address, each as its own element and label', async (t) => {
  for (const kept of ['http://example.com/a?b=1', 'https://example.com/a', 'mailto:ops@example.com']) t.equal(safeHref(kept), kept, `${kept} is kept`)
  for (const refused of ['javascript:alert(1)', 'data:text/html,x', 'file:///etc/passwd', 'ftp://example.com/', 'vbscript:x', '/relative', 'example.com']) t.equal(safeHref(refused), null, `${refused} is refused`)
  t.equal(renderMarkup('[the docs](http://docs.example/p?a=1&b=2)', undefined, 'page', context),
    '<p class="md-p"><a class="md-link" href="http://docs.example/p?a&#x3D;1&amp;b&#x3D;2" rel="noopener noreferrer nofollow">the docs</a></p>', 'a labelled link: its label, its address escaped')
  t.equal(renderMarkup('see http://docs.example.com/p', undefined, 'page', context),
    '<p class="md-p">see <a class="md-link-bare" href="http://docs.example.com/p" rel="noopener noreferrer nofollow">http://docs.example.com/p</a></p>', 'a bare address shows itself')
  t.equal(renderMarkup('[the docs](http://docs.example/p)', undefined, 'text', context), 'the docs', 'the text target keeps the label only')
  t.equal(renderMarkup('![a <cat>](https://a.example/i.png)', undefined, 'page', context),
    '<p class="md-p"><a class="md-link" href="https://a.example/i.png" rel="noopener noreferrer nofollow">🖼 a &lt;cat&gt;</a></p>', 'a remote image is a link with its label, never loaded')
  const image = (label: unknown) => [{ type: 'PARAGRAPH', value: [{ type: 'IMAGE', value: { src: { type: 'PLAIN_TEXT', value: 'https://a.example/i.png' }, label } }] }] as never
  t.equal(renderMarkup('x', image(undefined), 'page', context),
    '<p class="md-p"><a class="md-link" href="https://a.example/i.png" rel="noopener noreferrer nofollow">🖼 https://a.example/i.png</a></p>', 'an image without a label shows its address')
  const link = (label: unknown) => [{ type: 'PARAGRAPH', value: [{ type: 'LINK', value: { src: { type: 'PLAIN_TEXT', value: 'https://a.example/p' }, label } }] }] as never
  t.equal(renderMarkup('x', link(undefined), 'page', context),
    '<p class="md-p"><a class="md-link-bare" href="https://a.example/p" rel="noopener noreferrer nofollow">https://a.example/p</a></p>', 'a link without a label shows its address')
  t.equal(renderMarkup('x', link({ type: 'PLAIN_TEXT', value: 'https://a.example/p' }), 'page', context),
    '<p class="md-p"><a class="md-link-bare" href="https://a.example/p" rel="noopener noreferrer nofollow">https://a.example/p</a></p>', 'a label that is the address is a bare link')
})

t.test('links, escaping and excerpts', async (t) => {
  t.equal(safeHref('//example.com/a'), 'https://example.com/a')
  t.equal(safeHref('not a url'), null)
  t.equal(safeHref(undefined), null)
  t.equal(escapeHtml('<a href="x">\'`=&'), '&lt;a href&#x3D;&quot;x&quot;&gt;&#x27;&#x60;&#x3D;&amp;')
  t.equal(excerpt('*first* line\nsecond line', undefined, context), 'first line')
  t.equal(excerpt('x'.repeat(200), undefined, context), `${'x'.repeat(119)}…`)
  t.equal(renderMarkup('\u0000', undefined, 'page', context), '<p class="md-p">\u0000</p>', 'text the grammar rejects is shown as it is')
})
