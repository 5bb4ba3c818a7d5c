package tgtest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// chatLocked resolves chat_id: a known numeric id or @username.
func (s *Server) chatLocked(p params) (Chat, error) {
	raw := strings.TrimSpace(p.str("chat_id"))
	if raw == "" {
		return Chat{}, errors.New("chat_id is empty")
	}
	if name, ok := strings.CutPrefix(raw, "@"); ok {
		for _, c := range s.chats {
			if strings.EqualFold(c.Title, name) {
				return c, nil
			}
		}
		return Chat{}, errors.New("chat not found")
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return Chat{}, errors.New("chat not found")
	}
	c, ok := s.chats[id]
	if !ok {
		return Chat{}, errors.New("chat not found")
	}
	return c, nil
}

func checkText(text string) error {
	if strings.TrimSpace(text) == "" {
		return errors.New("message text is empty")
	}
	if Utf16Len(text) > 4096 {
		return errors.New("message is too long")
	}
	return nil
}

func markup(p params) (*InlineKeyboardMarkup, error) {
	if _, ok := p["reply_markup"]; !ok {
		return nil, nil
	}
	var kb InlineKeyboardMarkup
	if err := p.obj("reply_markup", &kb); err != nil {
		return nil, fmt.Errorf("can't parse reply keyboard markup JSON object")
	}
	for _, row := range kb.InlineKeyboard {
		for _, b := range row {
			if b.Text == "" {
				return nil, errors.New("text buttons are unallowed in the inline keyboard")
			}
			if len(b.CallbackData) > 64 || (b.CallbackData == "" && b.URL == "") {
				return nil, errors.New("BUTTON_DATA_INVALID")
			}
		}
	}
	return &kb, nil
}

func (s *Server) sendMessage(p params) (Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	chat, err := s.chatLocked(p)
	if err != nil {
		return Message{}, err
	}
	text := p.str("text")
	if err := checkText(text); err != nil {
		return Message{}, err
	}
	kb, err := markup(p)
	if err != nil {
		return Message{}, err
	}
	me := s.me
	m := Message{MessageID: s.nextMsg, From: &me, Date: time.Now().Unix(), Chat: chat, Text: text, ReplyMarkup: kb}
	if th, ok := p.num("message_thread_id"); ok && th != 0 {
		if !chat.IsForum {
			return Message{}, errors.New("message thread not found")
		}
		m.MessageThreadID, m.IsTopicMessage = int(th), true
	}
	replyTo, allowWithout := 0, false
	if _, ok := p["reply_parameters"]; ok {
		var rp struct {
			MessageID                int  `json:"message_id"`
			AllowSendingWithoutReply bool `json:"allow_sending_without_reply"`
		}
		if err := p.obj("reply_parameters", &rp); err != nil {
			return Message{}, errors.New("can't parse reply parameters JSON object")
		}
		replyTo, allowWithout = rp.MessageID, rp.AllowSendingWithoutReply
	} else if id, ok := p.num("reply_to_message_id"); ok {
		replyTo = int(id)
		allowWithout = p.str("allow_sending_without_reply") == "true"
	}
	if replyTo != 0 {
		orig, ok := s.msgs[msgKey{chat.ID, replyTo}]
		switch {
		case ok:
			m.ReplyToMessage = &orig
		case !allowWithout:
			return Message{}, errors.New("message to be replied not found")
		}
	}
	s.nextMsg++
	s.msgs[msgKey{chat.ID, m.MessageID}] = m
	sent := Sent{Message: m, ReplyTo: replyTo}
	if kb != nil {
		sent.Keyboard = kb.InlineKeyboard
	}
	s.sent = append(s.sent, sent)
	s.notifyLocked()
	return m, nil
}

func (s *Server) editMessageText(p params) (Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	chat, err := s.chatLocked(p)
	if err != nil {
		return Message{}, err
	}
	id, _ := p.num("message_id")
	m, ok := s.msgs[msgKey{chat.ID, int(id)}]
	if !ok || m.From == nil || m.From.ID != s.me.ID {
		return Message{}, errors.New("message to edit not found")
	}
	text := p.str("text")
	if err := checkText(text); err != nil {
		return Message{}, err
	}
	kb, err := markup(p)
	if err != nil {
		return Message{}, err
	}
	if text == m.Text && kb == nil {
		return Message{}, errors.New("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
	}
	m.Text, m.ReplyMarkup = text, kb
	s.msgs[msgKey{chat.ID, m.MessageID}] = m
	for i := range s.sent {
		if s.sent[i].Chat.ID == chat.ID && s.sent[i].MessageID == m.MessageID {
			s.sent[i].Text = text
		}
	}
	s.edits = append(s.edits, Edit{ChatID: chat.ID, MessageID: m.MessageID, Text: text})
	s.notifyLocked()
	return m, nil
}

func (s *Server) sendChatAction(p params) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	chat, err := s.chatLocked(p)
	if err != nil {
		return false, err
	}
	action := p.str("action")
	switch action {
	case "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
		"upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note":
	default:
		return false, errors.New("wrong parameter action in request")
	}
	th, _ := p.num("message_thread_id")
	s.actions = append(s.actions, Action{ChatID: chat.ID, ThreadID: int(th), Action: action})
	s.notifyLocked()
	return true, nil
}

func (s *Server) answerCallbackQuery(p params) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := p.str("callback_query_id")
	if !s.queries[id] {
		return false, errors.New("query is too old and response timeout expired or query ID is invalid")
	}
	delete(s.queries, id)
	s.answers = append(s.answers, Answer{ID: id, Text: p.str("text")})
	s.notifyLocked()
	return true, nil
}
