/* PumpSwap (pump_amm) addresses the pump program's `migrate` checks and CPIs into (base58 in
 * comments); checked against adapters/pumpswap/addresses.py by tests/test_pumpfun_migrate.py. */
#pragma once
/* pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA */
static const SolPubkey PUMP_AMM_PROGRAM_ID = {{12, 20, 222, 252, 130, 94, 198, 118, 148, 37, 8, 24, 187, 101, 64, 101, 244, 41, 141, 49, 86, 213, 113, 180, 212, 248, 9, 12, 24, 233, 168, 99}};
/* ADyA8hdefvWN2dbGGWFotbzWxrAvLW83WG6QCVXvJKqw */
static const SolPubkey PUMP_AMM_GLOBAL_CONFIG = {{137, 11, 166, 68, 254, 31, 85, 170, 25, 241, 28, 210, 210, 236, 20, 211, 35, 59, 110, 10, 75, 234, 238, 247, 43, 105, 133, 142, 33, 225, 112, 214}};
/* GS4CU59F31iL7aR2Q8zVS8DRrcRnXX1yjQ66TqNVQnaR */
static const SolPubkey PUMP_AMM_EVENT_AUTHORITY = {{229, 74, 112, 149, 40, 131, 159, 97, 192, 185, 184, 96, 121, 137, 28, 19, 146, 22, 228, 122, 113, 182, 47, 183, 59, 236, 114, 22, 148, 88, 116, 94}};
/* So11111111111111111111111111111111111111112 */
static const SolPubkey WSOL_MINT = {{6, 155, 136, 87, 254, 171, 129, 132, 251, 104, 127, 99, 70, 24, 192, 53, 218, 196, 57, 220, 26, 235, 59, 85, 152, 160, 240, 0, 0, 0, 0, 1}};
