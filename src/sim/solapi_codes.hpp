// Solapi message status codes used by the simulator (docs: api-reference/message-status-codes).
#pragma once

namespace jarip::sim::solapi_code {

inline constexpr const char* kRequired = "1010";          // 필수 입력 값 미입력
inline constexpr const char* kFormat = "1011";            // Format Error
inline constexpr const char* kSubjectOnSms = "1013";      // 제목은 문자 타입이 'SMS'일 경우 사용이 불가능합니다.
inline constexpr const char* kSubjectTooLong = "1014";    // 제목은 40byte까지 사용 가능합니다.
inline constexpr const char* kBadType = "1025";           // 잘못된 메시지 타입
inline constexpr const char* kDuplicateTo = "1026";       // 중복 수신번호
inline constexpr const char* kNotEucKr = "1029";          // EUC-KR(완성형 한글) 범위 안의 문자만
inline constexpr const char* kTooLong = "1031";           // SMS 90byte, LMS/MMS 2000byte, ATA 1000자
inline constexpr const char* kCustomFields = "1032";      // 커스텀 필드 30자/100자, String
inline constexpr const char* kKakaoOptionsType = "1033";  // kakaoOptions은 ATA/CTA에서만
inline constexpr const char* kNoImage = "1034";           // imageId가 존재하지 않습니다.
inline constexpr const char* kBadPfId = "1041";           // 유효한 플러스 친구 값이 아닙니다.
inline constexpr const char* kBadTemplate = "1042";       // 유효한 템플릿 아이디가 아닙니다.
inline constexpr const char* kTemplateMismatch = "1043";  // 등록한 템플릿과 내용이 다릅니다.
inline constexpr const char* kBadButton = "1044";         // 유효한 버튼 값이 아닙니다.
inline constexpr const char* kNoButtonsInTemplate = "1047";
inline constexpr const char* kButtonOrder = "1052";       // 버튼은 템플릿에 등록된 순서대로
inline constexpr const char* kSenderNotRegistered = "1062";  // 발신번호 미등록
inline constexpr const char* kAccepted = "2000";          // 정상 접수(이통사로 접수 예정)
inline constexpr const char* kPartnerServerError = "3012";  // 연동처 서버 오류 (Kakao side down)
inline constexpr const char* kNotKakaoUser = "3104";      // 카카오톡 미사용자
inline constexpr const char* kKakaoBlocked = "3107";      // 72시간 이내 미사용자, 알림톡 차단한 사용자
inline constexpr const char* kDelivered = "4000";         // 발송 처리 완료

const char* message_for(const char* code);

}  // namespace jarip::sim::solapi_code
