/**
 * Rocket.Chat's emoticons by their first character, each list in the order the
 * grammar tries them: the first that matches is taken, so ":-D" is tried
 * before ":D" and "</3" before "<3".
 */
export const emoticonsByFirstCharacter: Record<string, Array<[text: string, shortCode: string]>> = {}

const groups: Array<[shortCode: string, texts: string[]]> = [
  // ':'
  ['smiley', [':-D', ':D']],
  ['joy', [":')", ":'-)"]],
  ['slight_smile', [':-)', ':)', ':]']],
  ['kissing_heart', [':-*', ':*', ':^*']],
  ['stuck_out_tongue', [':-P', ':P', ':-\u00de', ':\u00de', ':-b', ':b']],
  ['disappointed', [':-(', ':(', ':-[', ':[']],
  ['confused', [':-/', ':-.', ':/', ':\\', ':L']],
  ['cry', [":'("]],
  ['angry', [':@']],
  ['flushed', [':$']],
  ['no_mouth', [':-X', ':X', ':-#', ':#']],
  ['open_mouth', [':-O', ':O']],
  // ';'
  ['wink', [';)', ';-)', ';-]', ';]', ';D', ';^)']],
  ['cry', [';(', ';-(']],
  // '<'
  ['broken_heart', ['</3']],
  ['heart', ['<3']],
  // '>'
  ['laughing', ['>:)', '>;)', '>:-)', '>=)']],
  ['persevere', ['>.<']],
  ['stuck_out_tongue_winking_eye', ['>:P']],
  ['confused', ['>:\\', '>;/']],
  ['angry', ['>:(', '>:-(']],
  ['disappointed', ['>:[']],
  ['open_mouth', ['>:O']],
  // '='
  ['smiley', ['=D']],
  ['slight_smile', ['=]', '=)']],
  ['kissing_heart', ['=*']],
  ['stuck_out_tongue', ['=P']],
  ['disappointed', ['=(']],
  ['confused', ['=/', '=\\', '=L']],
  ['flushed', ['=$']],
  ['no_mouth', ['=X', '=#']],
  // the others
  ['fearful', ['D:']],
  ['sunglasses', ['B-)', 'B)', 'B-D']],
  ['sunglasses', ['8)', '8-)', '8-D']],
  ['sweat_smile', ["':)", "':-)", "'=)", "':D", "':-D", "'=D"]],
  ['sweat', ["':(", "':-(", "'=("]],
  ['innocent', ['O:-)', 'O:)', 'O;-)', 'O=)', 'O:-3', 'O:3']],
  ['open_mouth', ['O_O']],
  ['innocent', ['0:-3', '0:3', '0:-)', '0:)', '0;^)', '0;-)']],
  ['wink', ['*-)', '*)']],
  ['person_gesturing_ok', ['*\\0/*', '*\\O/*']],
  ['stuck_out_tongue_winking_eye', ['X-P']],
  ['dizzy_face', ['X)', 'X-)']],
  ['dizzy_face', ['#-)', '#)']],
  ['dizzy_face', ['%-)', '%)']],
  ['thumbsup', ['(y)']],
  ['expressionless', ['-___-', '-__-', '-_-']],
  ['person_gesturing_ok', ['\\0\\/', '\\O\\/']]
]

for (const [shortCode, texts] of groups) {
  for (const text of texts) (emoticonsByFirstCharacter[text[0]] ??= []).push([text, shortCode])
}
