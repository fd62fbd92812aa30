/* pump.fun `create` (legacy, SPL Token): mint + curve + curve ATA + metadata, by CPI. */
#pragma once

enum { C_MINT, C_MINT_AUTHORITY, C_CURVE, C_CURVE_ATA, C_GLOBAL, C_METADATA_PROGRAM, C_METADATA, C_USER,
       C_SYSTEM, C_TOKEN_PROGRAM, C_ATA_PROGRAM, C_RENT, C_EVENT_AUTHORITY, C_PROGRAM, C_ACCOUNTS };

typedef struct {
    const u8 *name, *symbol, *uri; u32 name_len, symbol_len, uri_len; const SolPubkey *creator;
    bool is_mayhem_mode, is_cashback_enabled;            /* create_v2 only */
} CreateArgs;

/* CreateEvent of either create: the accounts are the mint, curve and user of the instruction. */
typedef struct { const SolPubkey *mint, *curve, *user, *token_program, *quote_mint; } CreatedCoin;   /* quote NULL: SOL */

/* Metaplex CreateMetadataAccountV3 (discriminant 33): DataV2 without creators/collection/uses,
   immutable, update authority = the mint authority PDA, as pump.fun coins have. */
NOINLINE u64 create_metadata(const SolParams *p, const CreateArgs *args, const SolSignerSeeds *mint_authority_signer) {
    const SolAccountInfo *a = p->ka;
    u8 buf[300];
    Writer w = {buf, 0, sizeof(buf), false};
    put_u8(&w, 33);
    put_str(&w, args->name, args->name_len); put_str(&w, args->symbol, args->symbol_len); put_str(&w, args->uri, args->uri_len);
    put_u8(&w, 0); put_u8(&w, 0);           /* seller_fee_basis_points u16 = 0 */
    put_u8(&w, 0); put_u8(&w, 0); put_u8(&w, 0);   /* creators, collection, uses: None */
    put_u8(&w, 0);                          /* is_mutable = false */
    put_u8(&w, 0);                          /* collection_details: None */
    if (w.overflow) return fail(ERR_INSTRUCTION_DID_NOT_DESERIALIZE);
    SolAccountMeta metas[7] = {
        {a[C_METADATA].key, true, false}, {a[C_MINT].key, false, false}, {a[C_MINT_AUTHORITY].key, false, true},
        {a[C_USER].key, true, true}, {a[C_MINT_AUTHORITY].key, false, false}, {a[C_SYSTEM].key, false, false},
        {a[C_RENT].key, false, false}};
    Call c = {&METADATA_PROGRAM_ID, metas, 7, buf, w.len};
    return invoke_call(p, &c, mint_authority_signer);
}

NOINLINE u64 create_mint_and_supply(const SolParams *p, const SolSignerSeeds *mint_authority_signer, u64 supply) {
    const SolAccountInfo *a = p->ka;
    u64 r;
    NewAccount mint = {a[C_USER].key, a[C_MINT].key, &TOKEN_PROGRAM_ID, MINT_SPACE};
    if ((r = system_create_account(p, &mint, NULL))) return r;
    u8 init[35];                            /* InitializeMint2: decimals, authority, no freeze authority */
    init[0] = 20; init[1] = TOKEN_DECIMALS; copy_bytes(init + 2, &MINT_AUTHORITY_PDA, 32); init[34] = 0;
    SolAccountMeta init_metas[1] = {{a[C_MINT].key, true, false}};
    Call init_call = {&TOKEN_PROGRAM_ID, init_metas, 1, init, 35};
    if ((r = invoke_call(p, &init_call, NULL))) return r;

    u8 ata_create[1] = {0};                 /* ATA Create (not idempotent: the curve ATA must be new) */
    SolAccountMeta ata_metas[6] = {
        {a[C_USER].key, true, true}, {a[C_CURVE_ATA].key, true, false}, {a[C_CURVE].key, false, false},
        {a[C_MINT].key, false, false}, {&SYSTEM_PROGRAM_ID, false, false}, {&TOKEN_PROGRAM_ID, false, false}};
    Call ata_call = {&ATA_PROGRAM_ID, ata_metas, 6, ata_create, 1};
    if ((r = invoke_call(p, &ata_call, NULL))) return r;

    u8 mint_to[9];
    mint_to[0] = 7; wr64(mint_to + 1, supply);
    SolAccountMeta mint_to_metas[3] = {{a[C_MINT].key, true, false}, {a[C_CURVE_ATA].key, true, false}, {&MINT_AUTHORITY_PDA, false, true}};
    Call mint_to_call = {&TOKEN_PROGRAM_ID, mint_to_metas, 3, mint_to, 9};
    if ((r = invoke_call(p, &mint_to_call, mint_authority_signer))) return r;

    u8 revoke[3] = {6, 0, 0};               /* SetAuthority(MintTokens, None) */
    SolAccountMeta revoke_metas[2] = {{a[C_MINT].key, true, false}, {&MINT_AUTHORITY_PDA, false, true}};
    Call revoke_call = {&TOKEN_PROGRAM_ID, revoke_metas, 2, revoke, 3};
    return invoke_call(p, &revoke_call, mint_authority_signer);
}

NOINLINE void emit_create(const SolParams *p, const CreateArgs *args, const CreatedCoin *coin, const Curve *c) {
    i64 now = clock_unix_timestamp();
    u8 buf[620];
    Writer w = event_writer(buf, sizeof(buf), EVENT_CREATE);
    put_str(&w, args->name, args->name_len); put_str(&w, args->symbol, args->symbol_len); put_str(&w, args->uri, args->uri_len);
    put_key(&w, coin->mint); put_key(&w, coin->curve); put_key(&w, coin->user); put_key(&w, args->creator);
    put_u64(&w, (u64)now);
    put_u64(&w, c->virtual_token); put_u64(&w, c->virtual_sol); put_u64(&w, c->real_token); put_u64(&w, c->supply);
    put_key(&w, coin->token_program);
    put_u8(&w, args->is_mayhem_mode); put_u8(&w, args->is_cashback_enabled);
    if (coin->quote_mint) put_key(&w, coin->quote_mint); else put_zeros(&w, 32);   /* default = SOL */
    put_u64(&w, c->virtual_sol);            /* virtual_quote_reserves */
    emit(p, &w);
}

NOINLINE u64 create(const SolParams *p, Reader *reader) {
    if (p->ka_num < C_ACCOUNTS) return fail(ERR_ACCOUNT_NOT_ENOUGH_KEYS);
    CreateArgs args;
    args.name = get_str(reader, &args.name_len);
    args.symbol = get_str(reader, &args.symbol_len);
    args.uri = get_str(reader, &args.uri_len);
    args.creator = get_key(reader);
    args.is_mayhem_mode = args.is_cashback_enabled = false;
    if (reader->bad) return fail(ERR_INSTRUCTION_DID_NOT_DESERIALIZE);
    if (args.name_len > 32) return fail(ERR_NAME_TOO_LONG);      /* Metaplex limits */
    if (args.symbol_len > 10) return fail(ERR_SYMBOL_TOO_LONG);
    if (args.uri_len > 200) return fail(ERR_URI_TOO_LONG);
    if (key_is_zero(args.creator)) return fail(ERR_CREATOR_SHOULD_NOT_BE_ZERO);
    const SolAccountInfo *a = p->ka, *mint = &a[C_MINT], *curve = &a[C_CURVE];
    u64 r;
    u8 curve_bump, authority_bump, metadata_bump;
    if ((r = check_global(p, &a[C_GLOBAL]))) return r;
    if ((r = check_signer(mint)) || (r = check_writable(mint))) return r;
    if ((r = check_signer(&a[C_USER])) || (r = check_writable(&a[C_USER]))) return r;
    SolSignerSeed authority_seeds[2] = {{(const u8 *)"mint-authority", 14}, {&authority_bump, 1}};
    if ((r = check_pda(&a[C_MINT_AUTHORITY], authority_seeds, 1, p->program_id, &authority_bump))) return r;
    if ((r = check_writable(curve)) || (r = check_curve_pda(curve, mint, p->program_id, &curve_bump))) return r;
    if ((r = check_address(&a[C_TOKEN_PROGRAM], &TOKEN_PROGRAM_ID)) || (r = check_address(&a[C_ATA_PROGRAM], &ATA_PROGRAM_ID))) return r;
    if ((r = check_writable(&a[C_CURVE_ATA])) || (r = check_ata(&a[C_CURVE_ATA], curve->key, &a[C_TOKEN_PROGRAM], mint))) return r;
    if ((r = check_address(&a[C_METADATA_PROGRAM], &METADATA_PROGRAM_ID))) return r;
    SolSignerSeed metadata_seeds[3] = {{(const u8 *)"metadata", 8}, {METADATA_PROGRAM_ID.x, 32}, {mint->key->x, 32}};
    if ((r = check_writable(&a[C_METADATA])) || (r = check_pda(&a[C_METADATA], metadata_seeds, 3, &METADATA_PROGRAM_ID, &metadata_bump))) return r;
    if ((r = check_address(&a[C_EVENT_AUTHORITY], &EVENT_AUTHORITY_PDA)) || (r = check_address(&a[C_PROGRAM], p->program_id))) return r;
    if ((r = check_address(&a[C_SYSTEM], &SYSTEM_PROGRAM_ID))) return r;

    const u8 *g = a[C_GLOBAL].data;
    Curve c = {rd64(g + GLOBAL_INITIAL_VIRTUAL_TOKEN), rd64(g + GLOBAL_INITIAL_VIRTUAL_SOL),
               rd64(g + GLOBAL_INITIAL_REAL_TOKEN), 0, rd64(g + GLOBAL_TOKEN_TOTAL_SUPPLY), false};
    SolSignerSeeds authority_signer = {authority_seeds, 2};
    if ((r = create_mint_and_supply(p, &authority_signer, c.supply))) return r;

    SolSignerSeed curve_seeds[3] = {{(const u8 *)"bonding-curve", 13}, {mint->key->x, 32}, {&curve_bump, 1}};
    SolSignerSeeds curve_signer = {curve_seeds, 3};
    NewAccount curve_account = {a[C_USER].key, curve->key, p->program_id, CURVE_SPACE};
    if ((r = system_create_account(p, &curve_account, &curve_signer))) return r;
    copy_bytes(curve->data, ACCOUNT_BONDING_CURVE, 8);
    curve_write(curve->data, &c);
    copy_bytes(curve->data + CURVE_CREATOR, args.creator, 32);

    if ((r = create_metadata(p, &args, &authority_signer))) return r;
    CreatedCoin coin = {mint->key, curve->key, a[C_USER].key, &TOKEN_PROGRAM_ID};
    emit_create(p, &args, &coin, &c);
    return 0;
}
