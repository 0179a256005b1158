#pragma once

// shequ.v1.PersonalData: the export of everything held about one ID number, and the rotation
// of the sealing key.

#include "daemon/server/services.h"
#include "shequ/v1/personal_data.grpc.pb.h"

namespace shequ::modules::personal_data {

class PersonalDataModule;

class PersonalDataService final : public v1::PersonalData::CallbackService {
 public:
  PersonalDataService(server::ServiceContext& c, PersonalDataModule& module)
      : c_(c), module_(module) {}

  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext*,
                                   const v1::ExportPersonalDataRequest*,
                                   v1::ExportPersonalDataResponse*) override;
  grpc::ServerUnaryReactor* Erase(grpc::CallbackServerContext*,
                                  const v1::ErasePersonalDataRequest*,
                                  v1::ErasePersonalDataResponse*) override;
  grpc::ServerUnaryReactor* RotateKey(grpc::CallbackServerContext*, const v1::RotateKeyRequest*,
                                      v1::KeyStatus*) override;
  grpc::ServerUnaryReactor* GetKeyStatus(grpc::CallbackServerContext*,
                                         const v1::KeyStatusRequest*, v1::KeyStatus*) override;

 private:
  server::ServiceContext& c_;
  PersonalDataModule& module_;
};

}  // namespace shequ::modules::personal_data
