#include "sim/solapi_codes.hpp"

#include <cstring>

namespace jarip::sim::solapi_code {

const char* message_for(const char* code) {
  struct Entry {
    const char* code;
    const char* text;
  };
  static const Entry table[] = {
      {"1010", "필수 입력 값 미입력"},
      {"1011", "Format Error"},
      {"1013", "제목은 문자 타입이 'SMS'일 경우 사용이 불가능합니다."},
      {"1014", "제목은 40byte까지 사용 가능합니다."},
      {"1025", "잘못된 메시지 타입 ['SMS','LMS','MMS','ATA','CTA']중에서 사용 가능하며 대소문자는 구분하지 않습니다."},
      {"1026", "중복 수신번호"},
      {"1029", "문자메시지의 경우 EUC-KR(완성형 한글) 범위 안에 있는 문자만 사용 합니다."},
      {"1031", "SMS는 90byte LMS, MMS는 2000byte ATA, CTA는 한/영포함 1000자 CTI는 한/영포함 400자까지 사용 가능 합니다."},
      {"1032", "유효한 커스텀 필드 값이 아닙니다. 필드명은 30자 설정값은 100자까지 가능하며 'String'형식만 지원 합니다."},
      {"1033", "kakaoOptions은 메시지가 ATA 나 CTA인 경우에만 사용가능합니다."},
      {"1034", "imageId가 존재하지 않습니다."},
      {"1041", "유효한 플러스 친구 값이 아닙니다."},
      {"1042", "유효한 템플릿 아이디가 아닙니다."},
      {"1043", "등록한 템플릿과 내용이 다릅니다."},
      {"1044", "유효한 버튼 값이 아닙니다."},
      {"1047", "버튼이 없는 템플릿입니다. 'buttons', 'buttonName', 'buttonUrl'값을 제거해주세요."},
      {"1052", "버튼은 템플릿에 등록된 순서대로 입력해주셔야 합니다."},
      {"1062", "발신번호 미등록"},
      {"2000", "정상 접수(이통사로 접수 예정) "},
      {"3012", "연동처 서버 오류"},
      {"3104", "카카오톡 미사용자"},
      {"3107", "72시간 이내 카카오톡 미사용자, 알림톡 차단한 사용자"},
      {"4000", "발송 처리 완료"},
  };
  for (const auto& e : table)
    if (std::strcmp(e.code, code) == 0) return e.text;
  return "";
}

}  // namespace jarip::sim::solapi_code
