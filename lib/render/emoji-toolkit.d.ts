// emoji-toolkit ships no types; the export reads only its emoji list.
declare module 'emoji-toolkit' {
  const emojiToolkit: {
    emojiList: Record<string, { uc_full: string, shortnames: string[] }>
  }
  export default emojiToolkit
}
