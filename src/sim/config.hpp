// jarip-sim configuration (sim.json). Every key has a default, so `{}` is a valid file; unknown keys
// are rejected so that a typo does not silently fall back to a default.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace jarip::sim {

struct TemplateButton {
  std::string type;  // WL, AL, DS, BK, MD, BC, BT, AC
  std::string name;
  std::string link_mo;
  std::string link_pc;
  std::string link_android;  // Solapi linkAnd / NHN schemeAndroid
  std::string link_ios;      // Solapi linkIos / NHN schemeIos
};

struct Template {
  std::string id;  // Solapi template_id / NHN template_code
  std::string content;
  std::vector<TemplateButton> buttons;
};

struct SolapiConfig {
  int port = 9101;
  std::string api_key = "NCSSIMULATORKEY1";
  std::string api_secret = "SIMULATORSECRETSIMULATORSECRET00";
  std::string pf_id = "KA01PF000000000000000000SIM";
  std::vector<std::string> senders{"0212345678"};
  std::string webhook_url = "http://127.0.0.1:8080/v1/providers/solapi/reports?token=sim-token";
  std::vector<Template> templates;
};

struct NhnConfig {
  int alimtalk_port = 9102;
  int sms_port = 9103;
  std::string alimtalk_appkey = "simAlimtalkAppKey";
  std::string sms_appkey = "simSmsAppKey";
  std::string secret_key = "simSecretKey";
  std::string sender_key = "0000000000000000000000000000000000000sim";
  std::vector<std::string> send_nos{"0212345678"};
  std::string webhook_url = "http://127.0.0.1:8080/v1/providers/nhn/reports";
  std::string webhook_signature = "sim-webhook-signature";
  std::vector<Template> templates;
};

struct SimConfig {
  std::string listen_host = "127.0.0.1";
  int admin_port = 9100;
  int push_port = 0;  // the Web Push service; 0: any free port (endpoints carry the real one)
  int report_delay_ms = 20;
  int report_batch_max = 200;
  std::vector<std::string> non_kakao_users{"01099990000"};
  std::vector<std::string> kakao_blocked{"01099990001"};
  SolapiConfig solapi;
  NhnConfig nhn;
};

SimConfig default_config();  // with one sample template per provider
Result<SimConfig> parse_config(std::string_view json_text);
std::string config_to_json(const SimConfig& config);  // pretty enough to edit by hand

}  // namespace jarip::sim
