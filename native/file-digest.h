/*
 * A running SHA-256 whose state lives in a JavaScript Buffer (file-digest.c):
 * registers digestCreate, digestUpdate, digestUpdateAsync and digestFinal.
 */
#ifndef BLOCKCHAIN_FILE_DIGEST_H
#define BLOCKCHAIN_FILE_DIGEST_H

#define NAPI_VERSION 8
#include <node_api.h>

napi_status file_digest_register(napi_env env, napi_value exports);

#endif
