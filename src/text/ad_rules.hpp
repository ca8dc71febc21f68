// Korean advertising rules for text messages (정보통신망법 §50 and its Enforcement Decree §61–62;
// KISA's guide to the rules on advertising information). See docs/korean-text.md for sources.
//
// An ad sent by SMS/LMS must begin with "(광고)" followed by the sender's name, must end with a
// free way to refuse further ads (an 080 number: "무료거부 080-…"), and between 21:00 and 08:00
// (KST) may be sent only to recipients who gave a separate, prior consent to night-time ads.
// AlimTalk carries no ads at all: that rule lives with the channel choice, not here.
#pragma once

#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "text/kst.hpp"

namespace jarip::text {

inline constexpr std::string_view kAdPrefix = "(광고)";
inline constexpr std::string_view kOptOutLabel = "무료거부";

// Formats an SMS/LMS ad (UTF-8):
//   "(광고)<sender_name>\n<text>\n무료거부 080-123-4567"
// Idempotent: text that already starts with "(광고)" gets no second prefix (only the sender name is
// inserted after it if the first line lacks it), and text whose last line already offers
// "무료거부"/"수신거부" with this opt-out number gets no second line; applying it twice equals
// applying it once. Leading and trailing blank space around the text is dropped ("(광고)" must be
// the very first thing a recipient sees).
// Errors: "invalid_utf8" (field "text"); "invalid_sender_name" (field "sender_name": empty,
// not UTF-8 or multi-line); "invalid_opt_out_number" (field "opt_out_number": not an 080 number).
// The result is longer than `text`: choose SMS/LMS (sms_rules.hpp) on the result, not the input.
Result<std::string> apply_ad_format_sms(std::string_view text, std::string_view sender_name,
                                        std::string_view opt_out_number);

// True from 21:00:00.000 KST up to but excluding 08:00:00.000 KST.
bool in_ad_quiet_hours(TimeMs time);

// The earliest time ≥ `time` outside the quiet hours: `time` itself when it is not in them, else
// the next 08:00:00.000 KST. Saturates at the largest TimeMs instead of overflowing.
TimeMs next_ad_send_time(TimeMs time);

}  // namespace jarip::text
