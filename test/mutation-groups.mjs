// The groups `npm run mutate` runs (scripts/mutate.mjs), each with Stryker (stryker.config.mjs): the
// modules (or line ranges) it mutates and the test files that guard them — narrow, so a mutant costs
// the few seconds of the files that cover it, not the suite's minutes. `floor`: the mutation score (%)
// below which a run fails — 100 for every group: each mutant is killed, or explained at its line as
// equivalent (and so ignored).
export const groups = {
  'download-links': {
    mutate: ['lib/export/download-link.ts', 'lib/routes/route-context.ts'],
    testFiles: ['test/route-context.test.ts', 'test/email-export.test.ts', 'test/export-operations.test.ts', 'test/registration.test.ts', 'test/export-logs.test.ts', 'test/openapi.test.ts', 'test/signed-export.test.ts'],
    floor: 100
  },
  'ranges-and-etags': {
    mutate: ['lib/routes/download.ts'],
    testFiles: ['test/download-ranges.test.ts', 'test/email-export.test.ts', 'test/openapi.test.ts', 'test/export-operations.test.ts'],
    floor: 100
  },
  escaping: {
    // escapeHtml and safeHref; links and images of the markup tree
    mutate: ['lib/render/markup.ts:53-84', 'lib/render/markup.ts:417-438'],
    testFiles: ['test/markup.test.ts', 'test/export-xss.test.ts'],
    floor: 100
  },
  recipients: {
    mutate: ['lib/mail.ts'],
    testFiles: ['test/mail.test.ts', 'test/email-export.test.ts', 'test/email-limits.test.ts'],
    floor: 100
  },
  'access-checks': {
    mutate: ['lib/routes/export.ts'],
    testFiles: ['test/export-request.test.ts', 'test/request-fuzz.test.ts', 'test/openapi.test.ts', 'test/export-history.test.ts'],
    floor: 100
  },
  'storage-keys': {
    mutate: ['lib/storage/storage.ts'],
    testFiles: ['test/storage-keys.test.ts', 'test/storage-directory.test.ts', 'test/restart.test.ts'],
    floor: 100
  }
}
