Function BS_GREEKS(spot, strike, t_years, vol, Optional rate, Optional div_yield, Optional option_type)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        BS_GREEKS = XLPy.CallUDF("xlgex.udfs", "BS_GREEKS", Array(spot, strike, t_years, vol, rate, div_yield, option_type), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        BS_GREEKS = XLPy.CallUDF("xlgex.udfs", "BS_GREEKS", Array(spot, strike, t_years, vol, rate, div_yield, option_type))
        Exit Function
    #End If
failed:
    BS_GREEKS = Err.Description
End Function

Function GEX_BOOK(ParamArray chains())
    Dim argsArray() As Variant
    argsArray = Array()
    ReDim Preserve argsArray(0 to UBound(chains) - LBound(chains) + 0)
    For k = LBound(chains) To UBound(chains)
    argsArray(0 + k - LBound(chains)) = chains(k)
    Next k
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        GEX_BOOK = XLPy.CallUDF("xlgex.udfs", "GEX_BOOK", argsArray, ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        GEX_BOOK = XLPy.CallUDF("xlgex.udfs", "GEX_BOOK", argsArray)
        Exit Function
    #End If
failed:
    GEX_BOOK = Err.Description
End Function

Function GEX_EXPIRY(chain, Optional spot, Optional asof, Optional convention, Optional gamma_source, Optional expiries, Optional unit, Optional iv_unit, Optional rate, Optional div_yield, Optional iv_from_quotes)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        GEX_EXPIRY = XLPy.CallUDF("xlgex.udfs", "GEX_EXPIRY", Array(chain, spot, asof, convention, gamma_source, expiries, unit, iv_unit, rate, div_yield, iv_from_quotes), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        GEX_EXPIRY = XLPy.CallUDF("xlgex.udfs", "GEX_EXPIRY", Array(chain, spot, asof, convention, gamma_source, expiries, unit, iv_unit, rate, div_yield, iv_from_quotes))
        Exit Function
    #End If
failed:
    GEX_EXPIRY = Err.Description
End Function

Function GEX_EXPOSURE(chain, Optional greek, Optional spot, Optional asof, Optional convention, Optional expiries, Optional iv_unit, Optional rate, Optional div_yield, Optional iv_from_quotes)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        GEX_EXPOSURE = XLPy.CallUDF("xlgex.udfs", "GEX_EXPOSURE", Array(chain, greek, spot, asof, convention, expiries, iv_unit, rate, div_yield, iv_from_quotes), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        GEX_EXPOSURE = XLPy.CallUDF("xlgex.udfs", "GEX_EXPOSURE", Array(chain, greek, spot, asof, convention, expiries, iv_unit, rate, div_yield, iv_from_quotes))
        Exit Function
    #End If
failed:
    GEX_EXPOSURE = Err.Description
End Function

Function GEX_FLIP(chain, Optional spot, Optional asof, Optional convention, Optional method, Optional expiries, Optional vol_shift, Optional roll_hours, Optional vol_rule, Optional preset, Optional iv_unit, Optional rate, Optional div_yield, Optional details, Optional iv_from_quotes)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        GEX_FLIP = XLPy.CallUDF("xlgex.udfs", "GEX_FLIP", Array(chain, spot, asof, convention, method, expiries, vol_shift, roll_hours, vol_rule, preset, iv_unit, rate, div_yield, details, iv_from_quotes), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        GEX_FLIP = XLPy.CallUDF("xlgex.udfs", "GEX_FLIP", Array(chain, spot, asof, convention, method, expiries, vol_shift, roll_hours, vol_rule, preset, iv_unit, rate, div_yield, details, iv_from_quotes))
        Exit Function
    #End If
failed:
    GEX_FLIP = Err.Description
End Function

Function GEX_HISTORY(history_file, Optional underlying, Optional columns, Optional last_n)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        GEX_HISTORY = XLPy.CallUDF("xlgex.udfs", "GEX_HISTORY", Array(history_file, underlying, columns, last_n), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        GEX_HISTORY = XLPy.CallUDF("xlgex.udfs", "GEX_HISTORY", Array(history_file, underlying, columns, last_n))
        Exit Function
    #End If
failed:
    GEX_HISTORY = Err.Description
End Function

Function GEX_INFO(chain, Optional spot, Optional asof, Optional convention, Optional gamma_source, Optional expiries, Optional iv_unit, Optional rate, Optional div_yield, Optional iv_from_quotes)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        GEX_INFO = XLPy.CallUDF("xlgex.udfs", "GEX_INFO", Array(chain, spot, asof, convention, gamma_source, expiries, iv_unit, rate, div_yield, iv_from_quotes), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        GEX_INFO = XLPy.CallUDF("xlgex.udfs", "GEX_INFO", Array(chain, spot, asof, convention, gamma_source, expiries, iv_unit, rate, div_yield, iv_from_quotes))
        Exit Function
    #End If
failed:
    GEX_INFO = Err.Description
End Function

Function GEX_LEVELS(chain, Optional spot, Optional asof, Optional n, Optional anywhere, Optional convention, Optional gamma_source, Optional expiries, Optional iv_unit, Optional rate, Optional div_yield, Optional iv_from_quotes)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        GEX_LEVELS = XLPy.CallUDF("xlgex.udfs", "GEX_LEVELS", Array(chain, spot, asof, n, anywhere, convention, gamma_source, expiries, iv_unit, rate, div_yield, iv_from_quotes), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        GEX_LEVELS = XLPy.CallUDF("xlgex.udfs", "GEX_LEVELS", Array(chain, spot, asof, n, anywhere, convention, gamma_source, expiries, iv_unit, rate, div_yield, iv_from_quotes))
        Exit Function
    #End If
failed:
    GEX_LEVELS = Err.Description
End Function

Function GEX_MOVE(chain, Optional spot, Optional asof, Optional view, Optional expiries, Optional convention, Optional iv_unit, Optional rate, Optional div_yield, Optional iv_from_quotes)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        GEX_MOVE = XLPy.CallUDF("xlgex.udfs", "GEX_MOVE", Array(chain, spot, asof, view, expiries, convention, iv_unit, rate, div_yield, iv_from_quotes), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        GEX_MOVE = XLPy.CallUDF("xlgex.udfs", "GEX_MOVE", Array(chain, spot, asof, view, expiries, convention, iv_unit, rate, div_yield, iv_from_quotes))
        Exit Function
    #End If
failed:
    GEX_MOVE = Err.Description
End Function

Function GEX_PROFILE(chain, Optional spot, Optional asof, Optional convention, Optional n_levels, Optional range_pct, Optional vol_shift, Optional roll_hours, Optional vol_rule, Optional expiries, Optional preset, Optional iv_unit, Optional rate, Optional div_yield, Optional iv_from_quotes)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        GEX_PROFILE = XLPy.CallUDF("xlgex.udfs", "GEX_PROFILE", Array(chain, spot, asof, convention, n_levels, range_pct, vol_shift, roll_hours, vol_rule, expiries, preset, iv_unit, rate, div_yield, iv_from_quotes), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        GEX_PROFILE = XLPy.CallUDF("xlgex.udfs", "GEX_PROFILE", Array(chain, spot, asof, convention, n_levels, range_pct, vol_shift, roll_hours, vol_rule, expiries, preset, iv_unit, rate, div_yield, iv_from_quotes))
        Exit Function
    #End If
failed:
    GEX_PROFILE = Err.Description
End Function

Function GEX_REGIME(chain, Optional spot, Optional asof, Optional convention, Optional skew, Optional term_structure, Optional details, Optional gamma_source, Optional expiries, Optional iv_unit, Optional rate, Optional div_yield, Optional iv_from_quotes)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        GEX_REGIME = XLPy.CallUDF("xlgex.udfs", "GEX_REGIME", Array(chain, spot, asof, convention, skew, term_structure, details, gamma_source, expiries, iv_unit, rate, div_yield, iv_from_quotes), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        GEX_REGIME = XLPy.CallUDF("xlgex.udfs", "GEX_REGIME", Array(chain, spot, asof, convention, skew, term_structure, details, gamma_source, expiries, iv_unit, rate, div_yield, iv_from_quotes))
        Exit Function
    #End If
failed:
    GEX_REGIME = Err.Description
End Function

Function GEX_SKEW(chain, Optional spot, Optional asof, Optional details, Optional expiries, Optional iv_unit, Optional rate, Optional div_yield, Optional iv_from_quotes)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        GEX_SKEW = XLPy.CallUDF("xlgex.udfs", "GEX_SKEW", Array(chain, spot, asof, details, expiries, iv_unit, rate, div_yield, iv_from_quotes), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        GEX_SKEW = XLPy.CallUDF("xlgex.udfs", "GEX_SKEW", Array(chain, spot, asof, details, expiries, iv_unit, rate, div_yield, iv_from_quotes))
        Exit Function
    #End If
failed:
    GEX_SKEW = Err.Description
End Function

Function GEX_STRIKE(chain, Optional spot, Optional asof, Optional convention, Optional gamma_source, Optional expiries, Optional unit, Optional iv_unit, Optional rate, Optional div_yield, Optional iv_from_quotes)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        GEX_STRIKE = XLPy.CallUDF("xlgex.udfs", "GEX_STRIKE", Array(chain, spot, asof, convention, gamma_source, expiries, unit, iv_unit, rate, div_yield, iv_from_quotes), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        GEX_STRIKE = XLPy.CallUDF("xlgex.udfs", "GEX_STRIKE", Array(chain, spot, asof, convention, gamma_source, expiries, unit, iv_unit, rate, div_yield, iv_from_quotes))
        Exit Function
    #End If
failed:
    GEX_STRIKE = Err.Description
End Function

Function GEX_TOTAL(chain, Optional spot, Optional asof, Optional convention, Optional gamma_source, Optional expiries, Optional unit, Optional iv_unit, Optional rate, Optional div_yield, Optional iv_from_quotes)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        GEX_TOTAL = XLPy.CallUDF("xlgex.udfs", "GEX_TOTAL", Array(chain, spot, asof, convention, gamma_source, expiries, unit, iv_unit, rate, div_yield, iv_from_quotes), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        GEX_TOTAL = XLPy.CallUDF("xlgex.udfs", "GEX_TOTAL", Array(chain, spot, asof, convention, gamma_source, expiries, unit, iv_unit, rate, div_yield, iv_from_quotes))
        Exit Function
    #End If
failed:
    GEX_TOTAL = Err.Description
End Function

Function GEX_WALLS(chain, Optional spot, Optional asof, Optional convention, Optional gamma_source, Optional expiries, Optional iv_unit, Optional rate, Optional div_yield, Optional anywhere, Optional iv_from_quotes)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        GEX_WALLS = XLPy.CallUDF("xlgex.udfs", "GEX_WALLS", Array(chain, spot, asof, convention, gamma_source, expiries, iv_unit, rate, div_yield, anywhere, iv_from_quotes), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        GEX_WALLS = XLPy.CallUDF("xlgex.udfs", "GEX_WALLS", Array(chain, spot, asof, convention, gamma_source, expiries, iv_unit, rate, div_yield, anywhere, iv_from_quotes))
        Exit Function
    #End If
failed:
    GEX_WALLS = Err.Description
End Function

Function HEDGE_LADDER(contracts, path, Optional delta, Optional gamma, Optional strike, Optional t_years, Optional vol, Optional option_type, Optional multiplier, Optional hedge, Optional band, Optional rate, Optional div_yield, Optional spot, Optional index_level)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        HEDGE_LADDER = XLPy.CallUDF("xlgex.udfs", "HEDGE_LADDER", Array(contracts, path, delta, gamma, strike, t_years, vol, option_type, multiplier, hedge, band, rate, div_yield, spot, index_level), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        HEDGE_LADDER = XLPy.CallUDF("xlgex.udfs", "HEDGE_LADDER", Array(contracts, path, delta, gamma, strike, t_years, vol, option_type, multiplier, hedge, band, rate, div_yield, spot, index_level))
        Exit Function
    #End If
failed:
    HEDGE_LADDER = Err.Description
End Function

Function HEDGE_TRADE(contracts, delta, Optional multiplier, Optional hedge, Optional current_hedge, Optional gamma, Optional spot_move, Optional band, Optional new_delta, Optional details, Optional spot, Optional index_level)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        HEDGE_TRADE = XLPy.CallUDF("xlgex.udfs", "HEDGE_TRADE", Array(contracts, delta, multiplier, hedge, current_hedge, gamma, spot_move, band, new_delta, details, spot, index_level), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        HEDGE_TRADE = XLPy.CallUDF("xlgex.udfs", "HEDGE_TRADE", Array(contracts, delta, multiplier, hedge, current_hedge, gamma, spot_move, band, new_delta, details, spot, index_level))
        Exit Function
    #End If
failed:
    HEDGE_TRADE = Err.Description
End Function

