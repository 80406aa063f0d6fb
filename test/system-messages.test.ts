import t from 'tap'
import { englishSentences, systemSentence, systemTypes, type Translate } from '../lib/render/system-messages.ts'
import type { ExportMessage } from '../index.ts'

const event = (type: string | undefined, msg = 'bob', extra: Partial<ExportMessage> = {}): ExportMessage => ({
  _id: 'e', rid: 'r', ts: new Date(0), msg, t: type, u: { _id: 'u-alice', username: 'alice', name: 'Alice Admin' }, ...extra
})
const names: Record<string, string> = { bob: 'Bob Builder' }
const options = { nameOf: (username: string) => names[username] ?? username, language: 'en', translate: null }

t.test('every Rocket.Chat system type reads as a sentence with display names', async (t) => {
  const sentences = Object.fromEntries([...systemTypes].map((type) => [type, systemSentence(event(type), options)]))
  t.same(sentences, {
    uj: 'Alice Admin joined the channel',
    ul: 'Alice Admin left the channel',
    r: 'Alice Admin changed the room name to bob',
    au: 'Alice Admin added Bob Builder',
    ui: 'Alice Admin invited Bob Builder',
    uir: 'Alice Admin rejected the invitation to the room',
    'added-user-to-team': 'Alice Admin added Bob Builder to this team',
    ru: 'Alice Admin removed Bob Builder',
    'removed-user-from-team': 'Alice Admin removed Bob Builder from the team',
    ult: 'Alice Admin left the team',
    'user-converted-to-team': 'Alice Admin converted bob to a team',
    'user-converted-to-channel': 'Alice Admin converted bob to a channel',
    'user-removed-room-from-team': 'Alice Admin removed bob from the team',
    'user-deleted-room-from-team': 'Alice Admin deleted the room bob',
    'user-added-room-to-team': 'Alice Admin added bob to this team',
    ujt: 'Alice Admin joined the team',
    ut: 'Alice Admin joined the conversation',
    wm: 'Welcome, Alice Admin!',
    rm: 'Alice Admin deleted a message',
    'user-muted': 'Alice Admin muted Bob Builder',
    'user-unmuted': 'Alice Admin unmuted Bob Builder',
    'user-banned': 'Alice Admin banned Bob Builder',
    'user-unbanned': 'Alice Admin unbanned Bob Builder',
    'subscription-role-added': 'Alice Admin set Bob Builder as a role',
    'subscription-role-removed': 'Alice Admin removed Bob Builder as a role',
    'room-archived': 'Alice Admin archived the room',
    'room-unarchived': 'Alice Admin unarchived the room',
    'room-removed-read-only': 'Alice Admin made the room writable for everyone',
    'room-set-read-only': 'Alice Admin made the room read-only',
    'room-allowed-reacting': 'Alice Admin allowed reactions',
    'room-disallowed-reacting': 'Alice Admin disallowed reactions',
    room_changed_privacy: 'Alice Admin changed the room type to bob',
    room_changed_topic: 'Alice Admin changed the room topic to bob',
    room_changed_avatar: 'Alice Admin changed the room avatar',
    room_changed_announcement: 'Alice Admin changed the room announcement to bob',
    room_changed_description: 'Alice Admin changed the room description to bob',
    message_pinned: 'Alice Admin pinned a message',
    'abac-removed-user-from-room': 'Alice Admin was removed from the room by its access rules',
    'discussion-created': 'Alice Admin started a discussion: bob',
    room_e2e_enabled: 'Alice Admin enabled end-to-end encryption for this room',
    room_e2e_disabled: 'Alice Admin disabled end-to-end encryption for this room',
    message_pinned_e2e: 'Alice Admin pinned a message',
    user_joined_otr: 'Alice Admin joined an off-the-record conversation',
    user_requested_otr_key_refresh: 'Alice Admin asked to refresh the off-the-record key',
    user_key_refreshed_successfully: 'Alice Admin refreshed the off-the-record key',
    'livechat-started': 'Alice Admin started the chat',
    'livechat-close': 'Alice Admin closed the conversation: bob',
    livechat_video_call: 'Alice Admin asked for a video call',
    livechat_navigation_history: 'Alice Admin visited bob',
    livechat_transfer_history: 'Alice Admin transferred the chat: bob',
    livechat_transfer_history_fallback: 'Alice Admin transferred the chat to a fallback department: bob',
    livechat_transcript_history: 'Alice Admin sent the chat transcript: bob',
    omnichannel_placed_chat_on_hold: 'Alice Admin placed the chat on hold: bob',
    omnichannel_on_hold_chat_resumed: 'Alice Admin resumed the on-hold chat: bob',
    omnichannel_priority_change_history: 'Alice Admin changed the priority to none',
    omnichannel_sla_change_history: 'Alice Admin changed the SLA policy to none',
    videoconf: 'Alice Admin started a video conference',
    'voip-call-started': 'Alice Admin started a call',
    'voip-call-duration': 'Call lasted bob',
    'voip-call-declined': 'Alice Admin declined the call',
    'voip-call-on-hold': 'Alice Admin put the call on hold',
    'voip-call-unhold': 'Alice Admin resumed the call',
    'voip-call-ended': 'Alice Admin ended the call',
    'voip-call-ended-unexpectedly': 'Call ended unexpectedly: bob',
    'voip-call-wrapup': 'Alice Admin wrapped up the call: bob'
  })
  for (const [type, sentence] of Object.entries(sentences)) t.notMatch(sentence, /\{\{|__/, `${type}: every placeholder filled`)
})

t.test('the details a sentence needs: roles, omnichannel data, empty texts, encrypted and unknown messages', async (t) => {
  t.equal(systemSentence(event('subscription-role-added', 'bob', { role: 'moderator' }), options), 'Alice Admin set Bob Builder as moderator')
  t.equal(systemSentence(event('subscription-role-removed', 'bob', { role: 'owner' }), options), 'Alice Admin removed Bob Builder as owner')
  t.equal(systemSentence(event('room_changed_topic', ''), options), 'Alice Admin changed the room topic to (none)')
  t.equal(systemSentence(event('livechat-close', ''), options), 'Alice Admin closed the conversation: no comment')
  t.equal(systemSentence(event('omnichannel_placed_chat_on_hold', '', { comment: 'back soon' }), options), 'Alice Admin placed the chat on hold: back soon')
  t.equal(systemSentence(event('omnichannel_on_hold_chat_resumed', ''), options), 'Alice Admin resumed the on-hold chat: no comment')
  t.equal(systemSentence(event('omnichannel_priority_change_history', '', { priority: 'High' }), options), 'Alice Admin changed the priority to High')
  t.equal(systemSentence(event('omnichannel_sla_change_history', '', { sla: 'Gold' }), options), 'Alice Admin changed the SLA policy to Gold')
  t.equal(systemSentence(event('livechat_navigation_history', '', { navigation: 'Pricing - https://example.com/pricing' }), options), 'Alice Admin visited Pricing - https://example.com/pricing')
  t.equal(systemSentence(event('livechat_transfer_history', '', { transfer: 'to Sales' }), options), 'Alice Admin transferred the chat: to Sales')
  t.equal(systemSentence(event('livechat_transfer_history_fallback', '', { transfer: 'to Support' }), options), 'Alice Admin transferred the chat to a fallback department: to Support')
  t.equal(systemSentence(event('e2e', '{"ciphertext":"c2VjcmV0"}'), options), 'Alice Admin sent an encrypted message', 'never the ciphertext')
  t.equal(systemSentence(event('command'), options), 'Alice Admin did something the export cannot show (command)')
  t.equal(systemSentence(event('au', 'bob', { u: { _id: 'u-alice', username: 'alice' } }), options), 'alice added Bob Builder', 'an author without a name is their username')
  t.equal(systemSentence(event(undefined), options), null, 'an ordinary message has no sentence')
})

t.test('a host translates by Rocket.Chat i18n key, in the requester\'s language', async (t) => {
  const calls: unknown[] = []
  const translate: Translate = (key, vars, language) => {
    calls.push([key, vars, language])
    if (key === 'User_added_to') return 'hat {{user_added}} hinzugefügt'
    return key === 'User_has_been_removed' ? `hat ${vars.user_removed} entfernt {{unknown}}` : undefined
  }
  const german = { ...options, language: 'de', translate }
  t.equal(systemSentence(event('au'), german), 'Alice Admin hat Bob Builder hinzugefügt')
  t.equal(systemSentence(event('ru'), german), 'Alice Admin hat Bob Builder entfernt {{unknown}}', 'a placeholder with no value stays visible')
  t.equal(systemSentence(event('ul'), german), 'Alice Admin left the channel', 'an untranslated key keeps the English')
  t.same(calls, [['User_added_to', { user_added: '{{user_added}}' }, 'de'], ['User_has_been_removed', { user_removed: '{{user_removed}}' }, 'de'], ['User_left_this_channel', {}, 'de']], 'the host gets placeholders, never the values')
  t.ok(Object.keys(englishSentences).length > 60)
})

t.test('placeholders are filled once, from the sentence\'s own variables', async (t) => {
  // A translation library that interpolates (as i18next does) gets placeholders, so it hands the template back.
  const interpolating: Translate = (key, vars) => key === 'set__username__as__role_' ? `setzte ${vars.username} als ${vars.role}` : undefined
  const tricky = { ...options, nameOf: (username: string) => username === 'bob' ? 'Bob {{role}} {{constructor}}' : username, translate: interpolating }
  t.equal(systemSentence(event('subscription-role-added', 'bob', { role: 'owner' }), tricky), 'Alice Admin setzte Bob {{role}} {{constructor}} als owner', 'a name holding placeholders is shown as it is')
  const inherited: Translate = (key) => key === 'User_added_to' ? 'hat {{user_added}} {{constructor}} {{__proto__}} {{toString}} hinzugefügt' : undefined
  t.equal(systemSentence(event('au'), { ...options, translate: inherited }), 'Alice Admin hat Bob Builder {{constructor}} {{__proto__}} {{toString}} hinzugefügt', 'inherited properties are no variables')
})
