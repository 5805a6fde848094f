/*
 * The trusted start's index of a vouched-for chain file (chain-index.c):
 * registers indexRecords and fillIdTable on the addon's exports.
 */
#ifndef BLOCKCHAIN_CHAIN_INDEX_H
#define BLOCKCHAIN_CHAIN_INDEX_H

#define NAPI_VERSION 8
#include <node_api.h>

napi_status chain_index_register(napi_env env, napi_value exports);

#endif
