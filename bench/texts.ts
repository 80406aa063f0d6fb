/**
 * Message texts for the benchmarks: a different text for every message (a
 * numbered template is enough to defeat any cache of parsed texts), in the mix
 * of a real team room — plain sentences, mentions, links, emoji codes, `Q&A`,
 * `a < b`, inline code, lists, quotes, Hebrew, Arabic, Chinese.
 */
const templates: Array<(n: number) => string> = [
  (n) => `Q&A session ${n} at 5pm`,
  (n) => `see https://example.com/${n} for details`,
  (n) => `@user${n % 40} can you review PR #${n}? :eyes:`,
  (n) => `lorem <b>${n}</b> ipsum & dolor\nsecond line`,
  (n) => `deploy ${n} went fine, thanks everyone :tada:`,
  (n) => `if a < b and b > ${n} then \`swap(a, b)\``,
  (n) => `- item ${n}\n- item ${n + 1}\n- [x] done`,
  (n) => `> quoted ${n}\nreply to the quote`,
  (n) => `the build ${n} is *green* again, _finally_`,
  (n) => `שלום ${n}, ה-PR מוכן ב-GitLab.`,
  (n) => `مرحبا ${n}، التقرير جاهز.`,
  (n) => `会议 ${n} 改到明天上午十点`,
  (n) => `call me at +1-555-${1000 + (n % 9000)} or mail ops${n}@example.org`,
  (n) => `incident ${n}: root cause was an expired certificate`,
  (n) => `lunch? ${n % 12 + 1} people so far :pizza:`,
  (n) => `ticket ${n} closed, see the #support channel`
]

export function realisticText (index: number): string {
  return templates[index % templates.length](index)
}
