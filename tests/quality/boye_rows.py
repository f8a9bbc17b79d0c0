"""The indicator rows of Boye county union's four 2023 project goal forms, as printed.

Source: ../shared/seeds/boye-county-union-goal-tables-2023.txt, 第二部分 预算项目绩效目标.
Columns: 一级指标 → level1, 二级指标 → level2, 三级指标 → name, 绩效指标描述 →
description, 指标值 → target, 指标值确定依据 → basis. Text is copied verbatim
(including full-width parentheses and the odd spacing of ``≥200 人均标准 200 元 /人``);
rows are in the printed order (project 2 prints 经济效益 after 可持续影响).

Category ids match ``BOYE_TREE`` below, a minimal Boye-like indicator tree.
"""

#: A minimal Boye-like indicator tree (roles as in docs/definitions.md).
BOYE_TREE = {
    "label": {"zh": "绩效指标", "en": "Performance indicators"},
    "allow_add_rows": True,
    "categories": [
        {"id": "output", "label": {"zh": "产出指标", "en": "Output indicators"}, "children": [
            {"id": "quantity", "label": {"zh": "数量指标", "en": "Quantity"}, "role": "quantity"},
            {"id": "quality", "label": {"zh": "质量指标", "en": "Quality"}, "role": "quality"},
            {"id": "timeliness", "label": {"zh": "时效指标", "en": "Timeliness"}, "role": "timeliness"},
            {"id": "cost", "label": {"zh": "成本指标", "en": "Cost"}, "role": "cost"},
        ]},
        {"id": "effect", "label": {"zh": "效益指标", "en": "Effect indicators"}, "role": "effect", "children": [
            {"id": "economic", "label": {"zh": "经济效益指标", "en": "Economic benefit"}, "role": "economic"},
            {"id": "social", "label": {"zh": "社会效益指标", "en": "Social benefit"}, "role": "social"},
            {"id": "ecological", "label": {"zh": "生态效益指标", "en": "Ecological benefit"}, "role": "ecological"},
            {"id": "sustainable", "label": {"zh": "可持续影响指标", "en": "Sustainable impact"}, "role": "sustainable"},
        ]},
        {"id": "satisfaction", "label": {"zh": "满意度指标", "en": "Satisfaction indicators"}, "children": [
            {"id": "beneficiary", "label": {"zh": "服务对象满意度指标", "en": "Beneficiary satisfaction"},
             "role": "satisfaction"},
        ]},
    ],
}


def _row(row_id, level1, level2, name, description, target, basis):
    return {"id": row_id, "level1": level1, "level2": level2, "name": name,
            "description": description, "target": target, "basis": basis}


#: 1. 冀财行【2021】102号提前下达2022年困难职工及劳模帮扶救助专项资金 (13063723P004287100744)
PROJECT_1 = [
    _row("p1r1", "output", "quantity", "救助人数", "救助人数", "在档管理困难职工及劳模", "文件要求"),
    _row("p1r2", "output", "quality", "救助准确率", "救助准确率", "≥90%", "文件要求"),
    _row("p1r3", "output", "timeliness", "拨款执行进度（%）", "拨款执行进度（%）", "≥100%", "文件要求"),
    _row("p1r4", "output", "cost", "救助标准", "救助标准", "按照市总相关文件执行", "文件要求"),
    _row("p1r5", "effect", "economic", "资金的使用效率", "资金的使用效率", "≤100%", "文件要求"),
    _row("p1r6", "effect", "social", "受补助人群生活水平提高程度", "受补助人群生活水平提高程度", "≥98%", "文件要求"),
    _row("p1r7", "effect", "sustainable", "增强影响力", "增强影响力", "≥98%", "文件要求"),
    _row("p1r8", "satisfaction", "beneficiary", "服务对象满意度", "服务对象满意度", "≥98%", "文件要求"),
]

#: 2. 冀财行【2022】99号提前下达2023年困难职工及劳模帮扶救助专项资金 (13063723P00428710008F)
PROJECT_2 = [
    _row("p2r1", "output", "quantity", "救助人数", "救助人数", "在档管理困难职工及劳模", "文件要求"),
    _row("p2r2", "output", "quality", "救助准确率", "救助准确率", "≥90%", "文件要求"),
    _row("p2r3", "output", "timeliness", "拨款执行进度（%）", "拨款执行进度（%）", "100%", "文件要求"),
    _row("p2r4", "output", "cost", "救助标准", "救助标准", "按照市总相关文件执行", "文件要求"),
    _row("p2r5", "effect", "social", "受补助人群生活水平提高程度", "受补助人群生活水平提高程度", "≥98%", "文件要求"),
    _row("p2r6", "effect", "sustainable", "增强影响力", "增强影响力", "≥98%", "文件要求"),
    _row("p2r7", "effect", "economic", "资金的使用效率", "资金的使用效率", "≤100%", "文件要求"),
    _row("p2r8", "satisfaction", "beneficiary", "服务对象满意度", "服务对象满意度", "≥98%", "文件要求"),
]

#: 3. 劳模体检、劳模慰问、劳模津贴、劳模慰问金 (13063723P00428710060R)
PROJECT_3 = [
    _row("p3r1", "output", "quantity", "总人数", "劳模体检人数占在档管理劳模比例", "≥100%", "文件要求"),
    _row("p3r2", "output", "quality", "省部级劳模满意率", "省部级劳模满意率", "≥98%", "文件要求"),
    _row("p3r3", "output", "timeliness", "工作任务完成及时率", "工作任务完成及时率", "≥98%", "文件要求"),
    _row("p3r4", "output", "cost", "人均体检费", "人均体检费", "≥200 人均标准 200 元 /人", "文件要求"),
    _row("p3r5", "effect", "economic", "发扬劳模精神带头作用", "发扬劳模精神带动我县经济发展", "≥98%", "文件要求"),
    _row("p3r6", "effect", "social", "劳模体检慰问产生影响", "劳模体检慰问提升劳模的幸福感", "≥98%", "文件要求"),
    _row("p3r7", "effect", "sustainable", "保障劳模身体健康", "关爱劳模保障在档管理身体健康", "≥98%", "文件要求"),
    _row("p3r8", "satisfaction", "beneficiary", "服务对象满意度指标", "服务对象满意度指标", "≥95%", "调查问卷"),
]

#: 4. 劳务派遣人员工资及保险 (13063723P00428710007U)
PROJECT_4 = [
    _row("p4r1", "output", "quantity", "人员数量", "人员数量", "劳务派遣人员", "劳务派遣人员预算"),
    _row("p4r2", "output", "quality", "财政拨款保障率", "财政拨款保障率", "≥100%", "财务制度"),
    _row("p4r3", "output", "timeliness", "时间进度完成率", "时间进度完成率", "按月支付", "支出进度要求"),
    _row("p4r4", "output", "cost", "完成工作所需成本", "完成工作所需成本", "按月支付", "劳务派遣人员预算"),
    _row("p4r5", "effect", "economic", "资金的使用效率", "资金的使用效率", "≥100%", "劳务派遣人员预算"),
    _row("p4r6", "effect", "social", "岗位配置率", "岗位配置率", "≥100%", "劳务派遣人员预算"),
    _row("p4r7", "effect", "sustainable", "系统工作运转", "系统工作运转", "≥98%", "管理制度"),
    _row("p4r8", "effect", "ecological", "结果准确性", "结果准确性", "≥100%", "支出进度"),
    _row("p4r9", "satisfaction", "beneficiary", "服务对象满意度", "服务对象满意度", "≥98%", "管理制度"),
]

PROJECTS = {
    "13063723P004287100744": PROJECT_1,
    "13063723P00428710008F": PROJECT_2,
    "13063723P00428710060R": PROJECT_3,
    "13063723P00428710007U": PROJECT_4,
}
