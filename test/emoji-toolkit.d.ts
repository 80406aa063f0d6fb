// emoji-toolkit ships no types; its emoji list is read by scripts/generate-emoji-table.mjs and checked by test/emoji-table.test.ts.
declare module 'emoji-toolkit' {
  const emojiToolkit: {
    emojiList: Record<string, { uc_full: string, shortnames: string[] }>
  }
  export default emojiToolkit
}
